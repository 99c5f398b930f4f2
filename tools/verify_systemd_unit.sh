#!/usr/bin/env bash
# `systemd-analyze verify` on the committed unit (Platforms/systemd/autoglmd.service) and on
# one freshly made by `autoglmd --systemd-unit`. verify insists that ExecStart's binary and
# the unit's user exist, so the committed unit is checked with ExecStart pointing at the
# built binary and User/Group set to root; everything else is verified as committed.
# Usage: tools/verify_systemd_unit.sh [path/to/autoglmd]   (needs systemd-analyze: apt systemd)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-.build/release/autoglmd}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e "s|^ExecStart=[^ ]*|ExecStart=$bin|" -e 's/^User=.*/User=root/' -e 's/^Group=.*/Group=root/' \
  Platforms/systemd/autoglmd.service > "$work/autoglmd.service"
"$bin" --config Platforms/x86-emulation.toml --systemd-unit \
  | sed -e 's/^User=.*/User=root/' -e 's/^Group=.*/Group=root/' > "$work/autoglmd-generated.service"
for unit in "$work/autoglmd.service" "$work/autoglmd-generated.service"; do
  out=$(systemd-analyze verify "$unit" 2>&1) || { echo "$out"; echo "systemd-analyze verify failed on $unit"; exit 1; }
  # verify exits 0 on some warnings; any line naming our unit is a problem.
  if echo "$out" | grep -q "$(basename "$unit")"; then echo "$out"; exit 1; fi
done
grep -q '^Type=notify' Platforms/systemd/autoglmd.service
grep -q '^WatchdogSec=' Platforms/systemd/autoglmd.service
grep -q '^MemoryMax=[0-9]' Platforms/systemd/autoglmd.service
echo "systemd-analyze verify: autoglmd.service OK"
