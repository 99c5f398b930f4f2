#!/usr/bin/env bash
# Checkpoint costs (issue 7), with the release CLI and the bundled model:
#  1. decode time with checkpoints every 16 tokens (the default) against none (only the
#     first and last), in one run alternating A/B, as the ratio of summed decode times;
#  2. start-up with 100 sessions on disk: `autoglm checkpoints` loads the model, plans the
#     arena and scans/validates the 100 files; its "ready" figure is what a daemon waits.
# Usage: tools/checkpoint_bench.sh [autoglm binary] [pairs]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/autoglm}
pairs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=$(pwd)/Models/default.gguf
args=(--model "$model" --prompt "In the beginning" --max-tokens 300 --temperature 0.8 --seed 3 --context 512 --backend emulation --verbose --token-ids)

decode_ms() { sed -n 's/.*decoded [0-9]* tokens in \([0-9]*\) ms.*/\1/p'; }
capture_us() { sed -n 's/.*checkpoints: [0-9]* captured (\([0-9]*\) µs on the decode thread.*/\1/p'; }
results=()
for i in $(seq "$pairs"); do
    rm -rf "$work/a" "$work/b"
    la=$("$bin" session --dir "$work/a" --session s --checkpoint-every 16 "${args[@]}" 2>&1 >/dev/null | tail -1)
    lb=$("$bin" session --dir "$work/b" --session s --checkpoint-every 0 "${args[@]}" 2>&1 >/dev/null | tail -1)
    ta=$(decode_ms <<<"$la"); tb=$(decode_ms <<<"$lb"); ca=$(capture_us <<<"$la")
    echo "pair $i: every 16: $ta ms (page copies on the decode thread: $ca µs), none: $tb ms"
    results+=("$ta $tb $ca")
done
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
rows = [list(map(int, l.split())) for l in sys.stdin if l.strip()]
ratios = sorted(a / b for a, b, _ in rows)
print(f"decode time, checkpoints every 16 tokens / none: median of {len(rows)} pair ratios {statistics.median(ratios):.4f} "
      f"(min {ratios[0]:.4f}, max {ratios[-1]:.4f}); summed {sum(r[0] for r in rows)} ms vs {sum(r[1] for r in rows)} ms")
print(f"decode-thread share spent copying pages: {sum(r[2] for r in rows) / 1000 / sum(r[0] for r in rows) * 100:.2f}% of decode time")
'

rm -rf "$work/many"
for i in $(seq 100); do
    "$bin" session --model "$model" --dir "$work/many" --session "s$i" --prompt "Verse $i" --max-tokens $((8 + i % 40)) \
        --temperature 0.8 --seed "$i" --context 512 --backend emulation --token-ids >/dev/null 2>&1
done
echo "100 sessions on disk: $(du -sh "$work/many" | cut -f1)"
"$bin" checkpoints --model "$model" --dir "$work/many" --context 512 --backend emulation | tail -1
