#!/usr/bin/env bash
# Which Swift features work in Embedded Swift on this toolchain? Each file in
# Toolchains/embedded-probes/ exercises one feature. It is compiled as Embedded Swift for
# aarch64, linked with the cross gcc, run under qemu-aarch64, and its output compared with
# the same file built as normal Swift for the host. Results go to a table; the summary
# in Toolchains/README.md was written from it. Not part of CI (about a minute of builds).
#
# Usage: Toolchains/embedded-probes.sh [probe-name ...]
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

swiftc=${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}
sysroot=${AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}
target_cpu=${AARCH64_TARGET_CPU:-cortex-a78}
swift_root=$(cd "$(dirname "$swiftc")/.." && pwd)
unicode_tables=$swift_root/lib/swift/embedded/aarch64-none-none-elf/libswiftUnicodeDataTables.a
out=Toolchains/build/probes
mkdir -p "$out"

for tool in aarch64-linux-gnu-gcc qemu-aarch64; do
    command -v "$tool" >/dev/null || { echo "missing $tool (see Toolchains/README.md)" >&2; exit 1; }
done

echo "swiftc: $("$swiftc" --version 2>&1 | head -n1), Embedded target aarch64-none-none-elf, -target-cpu $target_cpu"

if (($# > 0)); then probes=("$@")
else mapfile -t probes < <(cd Toolchains/embedded-probes && ls *.swift | sed 's/\.swift$//' | LC_ALL=C sort); fi

first_error() { grep -m1 -E 'error:' "$1" | sed -E 's/^[^ ]*error: //' | cut -c1-110; }

printf '%-30s  %-12s  %s\n' PROBE EMBEDDED DETAIL
for p in "${probes[@]}"; do
    src=Toolchains/embedded-probes/$p.swift
    status=OK; detail=""
    if ! "$swiftc" -enable-experimental-feature Embedded -target aarch64-none-none-elf -wmo -parse-as-library \
        -O -target-cpu "$target_cpu" -module-name Probe -c "$src" -o "$out/$p.o" >"$out/$p.emb.log" 2>&1; then
        status=NO-COMPILE; detail=$(first_error "$out/$p.emb.log")
    elif ! aarch64-linux-gnu-gcc -o "$out/$p.a64" "$out/$p.o" "$unicode_tables" -lpthread >"$out/$p.link.log" 2>&1; then
        status=NO-LINK; detail=$(grep -m1 -oE "undefined reference to \`[^']*'" "$out/$p.link.log" || head -n1 "$out/$p.link.log")
    else
        a_rc=0
        qemu-aarch64 -L "$sysroot" "$out/$p.a64" >"$out/$p.a64.txt" 2>&1 || a_rc=$?
        if ! "$swiftc" -wmo -parse-as-library -O -module-name Probe "$src" -lm -o "$out/$p.host" >"$out/$p.host.log" 2>&1; then
            status=HOST-FAIL; detail="host build failed: $(first_error "$out/$p.host.log")"
        else
            h_rc=0
            "$out/$p.host" >"$out/$p.host.txt" 2>&1 || h_rc=$?
            if ((a_rc != 0)); then status=CRASH; detail="exit $a_rc: $(tail -n1 "$out/$p.a64.txt" | cut -c1-100)"
            elif ! diff -q "$out/$p.a64.txt" "$out/$p.host.txt" >/dev/null; then
                status=DIFFERS; detail="embedded: $(head -n1 "$out/$p.a64.txt" | cut -c1-50) | host: $(head -n1 "$out/$p.host.txt" | cut -c1-50)"
            else detail=$(head -n1 "$out/$p.a64.txt" | cut -c1-100); fi
        fi
    fi
    printf '%-30s  %-12s  %s\n' "$p" "$status" "$detail"
done
