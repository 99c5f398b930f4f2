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
args=(--prompt "In the beginning" --max-tokens 400 --temperature 0.8 --seed 3 --context 512 --backend emulation --verbose --token-ids)

decode_ms() { sed -n 's/.*decoded [0-9]* tokens in \([0-9]*\) ms.*/\1/p'; }
a=0; b=0
for i in $(seq "$pairs"); do
    rm -rf "$work/a" "$work/b"
    ta=$("$bin" session --dir "$work/a" --session s --checkpoint-every 16 "${args[@]}" 2>&1 >/dev/null | decode_ms)
    tb=$("$bin" session --dir "$work/b" --session s --checkpoint-every 0 "${args[@]}" 2>&1 >/dev/null | decode_ms)
    echo "pair $i: every 16: $ta ms, none: $tb ms"
    a=$((a + ta)); b=$((b + tb))
done
python3 -c "print(f'decode time with checkpoints every 16 tokens / without: {$a / $b:.4f} ({$a} ms vs {$b} ms over $pairs pairs)')"
"$bin" session --dir "$work/a" --session s --checkpoint-every 16 "${args[@]}" 2>&1 >/dev/null | tail -1

rm -rf "$work/many"
for i in $(seq 100); do
    "$bin" session --dir "$work/many" --session "s$i" --prompt "Verse $i" --max-tokens $((8 + i % 40)) \
        --temperature 0.8 --seed "$i" --context 512 --backend emulation --token-ids >/dev/null 2>&1
done
echo "100 sessions on disk: $(du -sh "$work/many" | cut -f1)"
"$bin" checkpoints --dir "$work/many" --context 512 --backend emulation | tail -1
