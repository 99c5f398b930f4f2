#!/usr/bin/env bash
# `systemd-analyze verify` on the committed unit (Platforms/systemd/autoglmd.service) and on
# one freshly made by `autoglmd --systemd-unit`. verify insists that ExecStart's binary and
# the unit's user exist, so the committed unit is checked with ExecStart pointing at the
# built binary and User/Group set to root; everything else is verified as committed. A unit
# made from another directory must start the real binary with the given model.
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
# Made from another directory, through a symlink to the binary and a relative --model:
# ExecStart must name the real, existing executable and carry the model's absolute path,
# and nothing that was not given (no invented --config).
repo=$(pwd)
mkdir "$work/elsewhere"
ln -s "$bin" "$work/elsewhere/autoglmd-link"
cp Models/default.gguf "$work/elsewhere/model.gguf"
(cd "$work/elsewhere" && ./autoglmd-link --model model.gguf --context 128 --systemd-unit) > "$work/elsewhere.service"
exec_start=$(sed -n 's/^ExecStart=//p' "$work/elsewhere.service")
exe=${exec_start%% *}
[ -x "$exe" ] && [ "$(realpath "$exe")" = "$bin" ] && [ "$exe" = "$bin" ] \
  || { echo "ExecStart names '$exe', not the real executable $bin"; exit 1; }
[ "$exec_start" = "$bin --model $work/elsewhere/model.gguf --context 128" ] \
  || { echo "ExecStart is '$exec_start', expected the executable, the given model's absolute path and --context 128"; exit 1; }
# The unit starts from / under systemd: its command must work from there too.
(cd / && eval "$exec_start --check-config" > /dev/null) || { echo "ExecStart does not run from /: $exec_start"; exit 1; }
sed -e 's/^User=.*/User=root/' -e 's/^Group=.*/Group=root/' "$work/elsewhere.service" > "$work/autoglmd-elsewhere.service"
out=$(systemd-analyze verify "$work/autoglmd-elsewhere.service" 2>&1) || { echo "$out"; exit 1; }
if echo "$out" | grep -q "autoglmd-elsewhere.service"; then echo "$out"; exit 1; fi
cd "$repo"
grep -q '^Type=notify' Platforms/systemd/autoglmd.service
grep -q '^WatchdogSec=' Platforms/systemd/autoglmd.service
grep -q '^MemoryMax=[0-9]' Platforms/systemd/autoglmd.service
echo "systemd-analyze verify: autoglmd.service OK"
