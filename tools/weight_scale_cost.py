#!/usr/bin/env python3
"""The precision cost of one int8 scale per weight tensor (what Arm NN 20.08's FullyConnected
takes) against one scale per output channel (row), on a GGUF model with F32 matrices.

For every linear matrix (attn_q/k/v/output, ffn_gate/up/down, output) it prints the relative
error ||W − Ŵ||_F / ||W||_F of symmetric int8 quantization (Ŵ = s·round(W/s), s = max|W|/127
over the tensor or over each row), and writes two copies of the model whose matrices hold Ŵ
(still F32), so that `autoglm perplexity` on them measures the cost with float activations:

    python3 tools/weight_scale_cost.py --model Models/glm4-kjv-7m-f32.gguf --out /tmp/wscale
    autoglm perplexity --model /tmp/wscale/per-tensor.gguf --text Models/default-heldout.txt --context 256
    autoglm perplexity --model /tmp/wscale/per-channel.gguf --text Models/default-heldout.txt --context 256
"""
import argparse
import re
import shutil
from pathlib import Path

import numpy as np
from gguf import GGUFReader

LINEAR = re.compile(r"^(blk\.\d+\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down)|output)\.weight$")
QMAX = 127


def fake_quantize(w: np.ndarray, per_channel: bool) -> np.ndarray:
    amax = np.abs(w).max(axis=1, keepdims=True) if per_channel else np.abs(w).max()
    scale = np.where(amax > 0, amax / QMAX, 1.0)
    return (np.clip(np.round(w / scale), -QMAX, QMAX) * scale).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    copies = {"per-tensor": out / "per-tensor.gguf", "per-channel": out / "per-channel.gguf"}
    for path in copies.values():
        shutil.copyfile(args.model, path)
    readers = {name: GGUFReader(path, "r+") for name, path in copies.items()}
    source = GGUFReader(args.model)
    print(f"{'tensor':28} {'rows×cols':>11} {'per-tensor':>11} {'per-channel':>11}  (relative Frobenius error)")
    totals = {"per-tensor": 0.0, "per-channel": 0.0}
    norm_total = 0.0
    for t in source.tensors:
        if not LINEAR.match(t.name):
            continue
        assert t.tensor_type.name == "F32", f"{t.name}: {t.tensor_type.name} (F32 input only)"
        w = np.array(t.data, dtype=np.float32).reshape(-1, int(t.shape[0]))  # [rows × cols]
        norm = float(np.linalg.norm(w))
        norm_total += norm**2
        errors = {}
        for name, reader in readers.items():
            q = fake_quantize(w, per_channel=name == "per-channel")
            target = next(x for x in reader.tensors if x.name == t.name)
            target.data[...] = q.reshape(target.data.shape)
            err = float(np.linalg.norm(w - q))
            totals[name] += err**2
            errors[name] = err / norm
        print(f"{t.name:28} {w.shape[0]:>5}×{w.shape[1]:<5} {errors['per-tensor']:>11.5f} {errors['per-channel']:>11.5f}")
    for reader in readers.values():
        reader.data.flush()
    print(f"{'all matrices':28} {'':>11} {np.sqrt(totals['per-tensor'] / norm_total):>11.5f} "
          f"{np.sqrt(totals['per-channel'] / norm_total):>11.5f}")
    for name, path in copies.items():
        print(f"wrote {path} ({name} int8 weights, stored as F32)")


if __name__ == "__main__":
    main()
