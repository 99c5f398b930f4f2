#!/usr/bin/env bash
# Builds AutoGLMCore + Toolchains/crosscheck/main.swift twice — as Embedded Swift for
# aarch64 (linked against glibc with the cross gcc, run under qemu-aarch64) and as normal
# Swift for the host — runs both on every model fixture and diffs their stdout line by
# line. Any difference, or no fixture at all, fails. See Toolchains/README.md.
#
# Usage (from the repo root):
#   Toolchains/aarch64-cross-check.sh [model.gguf ...]
# Without arguments it checks Tests/Fixtures/models/*.gguf (except tokenizer-*.gguf).
#
# Environment overrides:
#   SWIFTC                 swiftc to use (default: swiftc on PATH, else /opt/swift/usr/bin/swiftc)
#   AARCH64_SYSROOT        aarch64 glibc sysroot (default /usr/aarch64-linux-gnu)
#   AARCH64_TARGET_CPU     -target-cpu / -mcpu for the Embedded build (default generic: armv8.0,
#                          so one binary runs on every CPU model below; the SDOT and SMMLA
#                          kernels carry their own target attributes and run after CPU detection)
#   XC_BACKEND_AARCH64     --backend passed to the aarch64 run (default neon)
#   XC_BACKEND_X86         --backend passed to the host run (default emulation)
#   XC_QEMU_CPU_I8MM       qemu CPU with i8mm for the SMMLA run (default max)
#   XC_QEMU_CPU_SDOT       qemu CPU with dotprod, no i8mm, for the SDOT run (default cortex-a76)
#   XC_QEMU_CPU_ARMV8      qemu armv8.0 CPU (no dotprod) for the plain NEON run (default cortex-a72)
#   XC_SDOT_PROBE_CPU      -target-cpu of the informational SDOT probe (default cortex-a78)
#   XC_BUILD_ONLY          1: stop after building both binaries (tools/arm_cost.py uses them)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Fixture paths given on the command line are relative to the caller's directory.
args=()
for a in "$@"; do
    if [[ $a == /* ]]; then args+=("$a"); else args+=("$PWD/$a"); fi
done
set -- ${args[@]+"${args[@]}"}
cd "$repo_root"

build=Toolchains/build
obj=$build/obj
sysroot=${AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}
target_cpu=${AARCH64_TARGET_CPU:-generic}
backend_aarch64=${XC_BACKEND_AARCH64:-neon}
backend_x86=${XC_BACKEND_X86:-emulation}
# The aarch64 build runs three times: on a CPU with i8mm (integer matmuls on SMMLA), on one
# with dotprod only (SDOT) and on an armv8.0 one (plain NEON); all must print what x86 prints.
qemu_cpu_i8mm=${XC_QEMU_CPU_I8MM:-max}
qemu_cpu_sdot=${XC_QEMU_CPU_SDOT:-cortex-a76}
qemu_cpu_armv8=${XC_QEMU_CPU_ARMV8:-cortex-a72}
sdot_probe_cpu=${XC_SDOT_PROBE_CPU:-cortex-a78}

die() { echo "aarch64-cross-check: $*" >&2; exit 1; }

# ---- tools ---------------------------------------------------------------------------
if [[ -n ${SWIFTC:-} ]]; then swiftc=$SWIFTC
elif command -v swiftc >/dev/null 2>&1; then swiftc=$(command -v swiftc)
elif [[ -x /opt/swift/usr/bin/swiftc ]]; then swiftc=/opt/swift/usr/bin/swiftc
else die "swiftc not found (set SWIFTC or put a Swift 6.x toolchain on PATH)"; fi

command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 ||
    die "aarch64-linux-gnu-gcc not found: apt-get install gcc-aarch64-linux-gnu"
command -v qemu-aarch64 >/dev/null 2>&1 ||
    die "qemu-aarch64 not found: apt-get install qemu-user"
[[ -f $sysroot/include/stdio.h && -f $sysroot/lib/libc.so.6 ]] ||
    die "aarch64 glibc sysroot missing at $sysroot: apt-get install libc6-dev-arm64-cross"
host_cc=${CC:-cc}
command -v "$host_cc" >/dev/null 2>&1 || die "host C compiler '$host_cc' not found: apt-get install gcc"

# The Embedded stdlib's Unicode tables (String comparison/hashing need them).
swift_root=$(cd "$(dirname "$swiftc")/.." && pwd)
unicode_tables=$swift_root/lib/swift/embedded/aarch64-none-none-elf/libswiftUnicodeDataTables.a
[[ -f $unicode_tables ]] ||
    die "Embedded Swift runtime for aarch64-none-none-elf not found at $unicode_tables (toolchain too old or incomplete?)"

objdump_bin=$(command -v aarch64-linux-gnu-objdump || true)

echo "== tools"
echo "swiftc:      $swiftc — $("$swiftc" --version 2>&1 | head -n1)"
echo "cross gcc:   $(aarch64-linux-gnu-gcc --version | head -n1)"
echo "host cc:     $("$host_cc" --version | head -n1)"
echo "qemu:        $(qemu-aarch64 --version | head -n1)"
echo "sysroot:     $sysroot (libc6-dev-arm64-cross $(dpkg-query -W -f='${Version}' libc6-dev-arm64-cross 2>/dev/null || echo '?'))"
echo "target-cpu:  $target_cpu"

# ---- fixtures (checked before the slow builds) --------------------------------------
fixtures=()
if (($# > 0)); then
    fixtures=("$@")
else
    shopt -s nullglob
    for f in Tests/Fixtures/models/*.gguf; do
        [[ $(basename "$f") == tokenizer-* ]] && continue
        fixtures+=("$f")
    done
    shopt -u nullglob
fi
((${#fixtures[@]} > 0)) || die "no model fixtures found (Tests/Fixtures/models/*.gguf, tokenizer-*.gguf excluded) — nothing was checked"

# ---- sources -------------------------------------------------------------------------
mapfile -t core_sources < <(find Sources/AutoGLMCore -name '*.swift' | LC_ALL=C sort)
((${#core_sources[@]} > 0)) || die "no Swift sources under Sources/AutoGLMCore"
driver=Toolchains/crosscheck/main.swift
shim_dir=Sources/CAutoGLMSys
kernels_dir=Sources/CAutoGLMKernels

mkdir -p "$obj/modulemap"
# SwiftPM synthesizes the C module's module map; outside SwiftPM we write the same one.
cat >"$obj/modulemap/module.modulemap" <<EOF
module CAutoGLMSys {
    header "$repo_root/$shim_dir/include/CAutoGLMSys.h"
    export *
}
module CAutoGLMKernels {
    header "$repo_root/$kernels_dir/include/CAutoGLMKernels.h"
    export *
}
EOF

# ---- aarch64, Embedded Swift ---------------------------------------------------------
echo "== build aarch64 (Embedded Swift, ${#core_sources[@]} Core files + driver)"
"$swiftc" -enable-experimental-feature Embedded -target aarch64-none-none-elf \
    -wmo -parse-as-library -O -target-cpu "$target_cpu" \
    -module-name CrossCheck \
    -I "$obj/modulemap" \
    -Xcc -I"$sysroot/include" -Xcc -D__linux__ -Xcc -Wno-macro-redefined \
    -c "${core_sources[@]}" "$driver" -o "$obj/crosscheck-aarch64.o"
aarch64-linux-gnu-gcc -O2 -mcpu="$target_cpu" -I "$shim_dir/include" \
    -c "$shim_dir/shim.c" -o "$obj/shim-aarch64.o"
mapfile -t kernel_sources < <(find "$kernels_dir" -name '*.c' | LC_ALL=C sort)
kernel_objs_aarch64=()
for c in "${kernel_sources[@]}"; do
    o=$obj/kernels-$(basename "$c" .c)-aarch64.o
    aarch64-linux-gnu-gcc -O2 -ffp-contract=off -mcpu="$target_cpu" -I "$kernels_dir/include" -c "$c" -o "$o"
    kernel_objs_aarch64+=("$o")
done
aarch64-linux-gnu-gcc -o "$build/crosscheck-aarch64" \
    "$obj/crosscheck-aarch64.o" "$obj/shim-aarch64.o" "${kernel_objs_aarch64[@]}" "$unicode_tables" -lpthread -lm

# ---- host, normal Swift --------------------------------------------------------------
echo "== build $(uname -m) (Swift, same sources)"
"$host_cc" -O2 -I "$shim_dir/include" -c "$shim_dir/shim.c" -o "$obj/shim-host.o"
# The host runs the x86 VNNI kernels when the CPU has them: that is what the comparison checks.
kernel_objs_host=()
for c in "${kernel_sources[@]}"; do
    o=$obj/kernels-$(basename "$c" .c)-host.o
    "$host_cc" -O2 -ffp-contract=off -I "$kernels_dir/include" -c "$c" -o "$o"
    kernel_objs_host+=("$o")
done
"$swiftc" -wmo -parse-as-library -O -module-name CrossCheck \
    -I "$obj/modulemap" \
    "${core_sources[@]}" "$driver" "$obj/shim-host.o" "${kernel_objs_host[@]}" -lm -o "$build/crosscheck-x86_64"

if [[ ${XC_BUILD_ONLY:-0} == 1 ]]; then
    echo "aarch64-cross-check: built $build/crosscheck-aarch64 and $build/crosscheck-x86_64 (XC_BUILD_ONLY, nothing run)"
    exit 0
fi

# ---- armv8.0 build: SDOT and SMMLA only inside the kernels chosen by CPU detection ----
# The binary is built for $target_cpu (armv8.0 by default), so it must run on a CPU without
# dotprod: every SDOT (or UDOT/USDOT) must lie in an aglm_dotprod_* kernel and every
# SMMLA (UMMLA/USMMLA) in an aglm_i8mm_* one, which only run when the CPU reports the
# feature. Anything else — Swift code vectorized to SDOT, a helper not inlined — fails.
[[ -n $objdump_bin ]] || die "aarch64-linux-gnu-objdump not found: apt-get install binutils-aarch64-linux-gnu"
"$objdump_bin" -d --no-show-raw-insn "$build/crosscheck-aarch64" >"$obj/crosscheck-aarch64.dis"
isa_report=$(awk '
    /^[0-9a-f]+ <.*>:$/ { fn = substr($2, 2, length($2) - 3) }
    $2 ~ /^(sdot|udot|usdot|sudot)$/ { kind = "dot" } $2 ~ /^(smmla|ummla|usmmla)$/ { kind = "mmla" }
    $2 ~ /^(sdot|udot|usdot|sudot|smmla|ummla|usmmla)$/ {
        allowed = (kind == "dot" && fn ~ /^aglm_dotprod_/) || (kind == "mmla" && fn ~ /^aglm_i8mm_/)
        if (allowed) gated[kind]++; else { stray++; where[fn " " $2]++ }
    }
    fn ~ /^aglm_neon_/ && $2 ~ /^(smull|smull2|smlal|smlal2)$/ { widening++ }
    fn ~ /^aglm_neon_/ && $2 == "sadalp" { sadalp++ }
    END {
        printf "sdot in aglm_dotprod_*: %d, smmla in aglm_i8mm_*: %d, armv8.0 NEON kernels: %d smull/smlal, %d sadalp, elsewhere: %d\n",
            gated["dot"], gated["mmla"], widening, sadalp, stray + 0
        for (w in where) printf "  stray %s (%d)\n", w, where[w]
        exit (stray > 0 || gated["dot"] == 0 || gated["mmla"] == 0 || widening == 0 || sadalp == 0) ? 1 : 0
    }' "$obj/crosscheck-aarch64.dis") && isa_ok=1 || isa_ok=0
echo "isa (-target-cpu $target_cpu, objdump): $isa_report"
((isa_ok)) || die "the armv8.0 build has SDOT/SMMLA outside the CPU-detected kernels, or lacks a kernel path (see $obj/crosscheck-aarch64.dis)"

# ---- SDOT probe (informational) ------------------------------------------------------
if [[ -f Toolchains/crosscheck/sdot_probe.swift && -n $objdump_bin ]]; then
    if "$swiftc" -enable-experimental-feature Embedded -target aarch64-none-none-elf \
        -wmo -parse-as-library -O -target-cpu "$sdot_probe_cpu" -module-name SDOTProbe \
        -c Toolchains/crosscheck/sdot_probe.swift -o "$obj/sdot_probe.o" 2>"$obj/sdot_probe.log"; then
        # sdot instructions per probe function (plain loop vs Swift SIMD types).
        "$objdump_bin" -d --no-show-raw-insn "$obj/sdot_probe.o" | awk '
            /^[0-9a-f]+ <.*>:$/ { fn = $2; if (fn ~ /dotInt8SIMD/) fn = "dotInt8SIMD"; else if (fn ~ /dotInt8/) fn = "dotInt8"; else fn = ""; if (fn != "") n[fn] += 0 }
            fn != "" && $2 == "sdot" { n[fn]++ }
            fn != "" && ($2 == "mla" || $2 == "smlal" || $2 == "smlal2") { m[fn]++ }
            END { for (f in n) { r = n[f] > 0 ? "SDOT, " n[f] " sdot instructions" : "NO sdot"
                                 printf "info: %-12s -target-cpu '"$sdot_probe_cpu"': %s (%d mla/smlal)\n", f, r, m[f] } }' | sort
    else
        echo "info: sdot_probe.swift did not compile (see $obj/sdot_probe.log)"
    fi
fi

# ---- run and compare -----------------------------------------------------------------
out=$build/out
mkdir -p "$out"
echo "== run: aarch64 under qemu-aarch64 -cpu $qemu_cpu_i8mm (expects neon-i8mm), -cpu $qemu_cpu_sdot (neon-dotprod) and -cpu $qemu_cpu_armv8 (neon), --backend $backend_aarch64; host --backend $backend_x86"
# Each aarch64 run: its output-file suffix, qemu CPU model and the kernel path it must take.
aarch64_runs=("aarch64:$qemu_cpu_i8mm:neon-i8mm" "aarch64-sdot:$qemu_cpu_sdot:neon-dotprod" "aarch64-armv8:$qemu_cpu_armv8:neon")
failures=0
checked=0
rows=()
for f in "${fixtures[@]}"; do
    name=$(basename "$f" .gguf)
    x_out=$out/$name.x86_64.txt
    x_rc=0
    "$build/crosscheck-x86_64" "$f" --backend "$backend_x86" \
        >"$x_out" 2>"$out/$name.x86_64.err" || x_rc=$?
    lines=$(wc -l <"$x_out")
    result=PASS; detail=""; rcs=""
    for run in "${aarch64_runs[@]}"; do
        IFS=: read -r suffix cpu path <<<"$run"
        a_out=$out/$name.$suffix.txt
        a_rc=0
        qemu-aarch64 -cpu "$cpu" -L "$sysroot" "$build/crosscheck-aarch64" "$f" --backend "$backend_aarch64" \
            >"$a_out" 2>"$out/$name.$suffix.err" || a_rc=$?
        rcs+="$a_rc/"
        [[ $result == PASS ]] || continue
        if [[ $a_rc -ne $x_rc ]]; then
            result=FAIL; detail="exit codes differ (-cpu $cpu $a_rc, x86_64 $x_rc)"
        elif ! diff -q "$a_out" "$x_out" >/dev/null; then
            first=$(diff "$a_out" "$x_out" | head -n1 || true)
            result=FAIL; detail="-cpu $cpu ($path) outputs differ, first hunk $first (diff $a_out $x_out)"
        elif [[ $a_rc -eq 0 ]] && ! grep -qx "crosscheck: kernels $path" "$out/$name.$suffix.err"; then
            result=FAIL; detail="-cpu $cpu did not take the $path path (see $out/$name.$suffix.err)"
        fi
    done
    if [[ $result == PASS ]]; then
        if [[ $x_rc -ne 0 ]]; then
            # A malformed fixture must be rejected identically; it does not count as checked.
            detail="identical rejection (exit $x_rc): $(tail -n1 "$x_out")"
        elif ! grep -qx end "$x_out"; then
            result=FAIL; detail="output incomplete (no 'end' line)"
        else
            detail="identical (neon-i8mm, neon-dotprod, neon)"; checked=$((checked + 1))
        fi
    fi
    [[ $result == PASS ]] || failures=$((failures + 1))
    rows+=("$(printf '%-4s  %-32s  %6s  %6s  %3s  %s' "$result" "$name" "$lines" "${rcs%/}" "$x_rc" "$detail")")
done

# ---- exact canary: a signed bundle's golden tokens, recorded on x86, reproduced on aarch64
# `autoglm bundle create` (host build, emulation backend) records greedy tokens of a
# prompt; the Embedded aarch64 build must produce exactly those under every qemu CPU.
canary_result="not run"
canary_fixture=Tests/Fixtures/models/glm4-q8_0.gguf
if [[ -z ${XC_SKIP_CANARY:-} && -f $canary_fixture ]]; then
    autoglm=${AUTOGLM_BIN:-}
    if [[ -z $autoglm ]]; then
        swift build --product autoglm >"$out/canary-build.log" 2>&1 || die "canary: swift build --product autoglm failed (see $out/canary-build.log)"
        autoglm=$(swift build --show-bin-path)/autoglm
    fi
    canary_prompt="The car ahead brakes suddenly. What should I do?"
    rm -rf "$out/canary-bundle"
    printf '%s\n' "$canary_prompt" >"$out/canary-prompts.txt"
    "$autoglm" bundle create --model "$canary_fixture" --name canary --version 1 --golden-tokens 16 \
        --golden "$out/canary-prompts.txt" --out "$out/canary-bundle" >"$out/canary-create.log" 2>&1 ||
        die "canary: autoglm bundle create failed (see $out/canary-create.log)"
    expected="golden $(python3 -c 'import json,sys; print(" ".join(map(str, json.load(open(sys.argv[1]))["golden"][0]["tokens"])))' "$out/canary-bundle/manifest.json")"
    canary_result="PASS: golden tokens '${expected#golden }' reproduced on"
    for run in "${aarch64_runs[@]}"; do
        IFS=: read -r suffix cpu path <<<"$run"
        got=$(qemu-aarch64 -cpu "$cpu" -L "$sysroot" "$build/crosscheck-aarch64" "$out/canary-bundle/$(basename "$canary_fixture")" \
            --backend "$backend_aarch64" --golden "$canary_prompt" 16 2>/dev/null || true)
        if [[ $got != "$expected" ]]; then
            canary_result="FAIL: -cpu $cpu ($path) gave '$got', the bundle records '$expected'"
            failures=$((failures + 1))
            break
        fi
        canary_result+=" -cpu $cpu ($path)"
    done
fi
echo "canary: $canary_result"

echo
printf '%-4s  %-32s  %6s  %6s  %3s  %s\n' RES FIXTURE LINES A64 X86 DETAIL
printf '%s\n' "${rows[@]}"
echo
if ((failures > 0)); then
    echo "aarch64-cross-check: FAIL — $failures check(s) failed: fixtures differing between aarch64 (Embedded, qemu) and $(uname -m), or the canary (see above)"
    for f in "${fixtures[@]}"; do
        name=$(basename "$f" .gguf)
        for a in aarch64 aarch64-sdot aarch64-armv8; do
            if ! diff -q "$out/$name.$a.txt" "$out/$name.x86_64.txt" >/dev/null; then
                echo "--- $name: diff $a x86_64 (first 20 lines)"
                diff "$out/$name.$a.txt" "$out/$name.x86_64.txt" | head -n 20 || true
            fi
        done
    done
    exit 1
fi
if ((checked == 0)); then
    echo "aarch64-cross-check: FAIL — no fixture was parsed end to end by both builds, nothing was really checked"
    exit 1
fi
echo "aarch64-cross-check: PASS — ${#fixtures[@]} fixture(s) ($checked parsed end to end), aarch64 (Embedded, qemu; neon-i8mm on -cpu $qemu_cpu_i8mm, neon-dotprod on -cpu $qemu_cpu_sdot, neon on -cpu $qemu_cpu_armv8) and $(uname -m) outputs identical"
