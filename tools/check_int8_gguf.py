#!/usr/bin/env python3
"""Reads an INT8 GGUF written by `autoglm quantize --type int8` with gguf-py (another
GGUF reader than ours), lists its tensors, and checks docs/int8-format.md independently
of the Swift code: companions present with the right types and shapes, and, given the
source file, every element within half a row scale of the source weight.

    python3 tools/check_int8_gguf.py OUT-int8.gguf [--source IN-f32.gguf] [--list]

Needs numpy and gguf (pip). Not run in CI: the Swift tests check the same bound.
"""
import argparse
import sys

import numpy as np
from gguf import GGUFReader, GGMLQuantizationType as T
from gguf.quants import dequantize


def tensors_by_name(reader):
    return {t.name: t for t in reader.tensors}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("int8_file")
    ap.add_argument("--source", help="the file it was quantized from (any type gguf-py dequantizes)")
    ap.add_argument("--list", action="store_true", help="print every tensor as gguf-py sees it")
    args = ap.parse_args()

    reader = GGUFReader(args.int8_file)
    version = reader.fields.get("autoglm.int8.version")
    if version is None:
        sys.exit("no autoglm.int8.version key")
    print(f"autoglm.int8.version = {int(version.parts[-1][0])}, {len(reader.tensors)} tensors")
    by_name = tensors_by_name(reader)
    if args.list:
        for t in reader.tensors:
            print(f"  {t.name:40s} {t.tensor_type.name:5s} {list(map(int, t.shape))}")

    source = tensors_by_name(GGUFReader(args.source)) if args.source else {}
    companions = {n + s for n, t in by_name.items() if t.tensor_type == T.I8 for s in (".scale", ".zero_point")}
    failures = 0
    matrices = asymmetric = 0
    for name, t in by_name.items():
        if t.tensor_type != T.I8 or name in companions:
            continue
        matrices += 1
        cols, rows = int(t.shape[0]), int(np.prod(t.shape[1:]))
        scale = by_name.get(name + ".scale")
        if scale is None or scale.tensor_type != T.F32 or list(map(int, scale.shape)) != [rows]:
            print(f"{name}: missing or malformed .scale"); failures += 1; continue
        zero = by_name.get(name + ".zero_point")
        if zero is not None and (zero.tensor_type != T.I8 or list(map(int, zero.shape)) != [rows]):
            print(f"{name}: malformed .zero_point"); failures += 1; continue
        asymmetric += zero is not None
        if cols % 32:
            print(f"{name}: rows of {cols} are not a multiple of 32"); failures += 1
        q = np.asarray(t.data, dtype=np.int8).reshape(rows, cols).astype(np.float64)
        s = np.asarray(scale.data, dtype=np.float32).astype(np.float64)
        z = np.asarray(zero.data, dtype=np.int8).astype(np.float64) if zero is not None else np.zeros(rows)
        w_hat = s[:, None] * (q - z[:, None])
        if name in source:
            src = source[name]
            w = dequantize(src.data, src.tensor_type).reshape(rows, cols).astype(np.float64)
            err = np.abs(w - w_hat).max(axis=1)
            bound = s * (0.5 + 256 * np.finfo(np.float32).eps)
            bad = int((err > bound).sum())
            if bad:
                print(f"{name}: {bad} rows off by more than scale/2"); failures += 1
    print(f"{matrices} INT8 matrices ({asymmetric} asymmetric)"
          + (", each element within scale/2 of the source" if source and not failures else "")
          + (f"; {failures} FAILED" if failures else ""))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
