#!/usr/bin/env python3
"""Perplexity of one GGUF on one text, by Open-AutoGLM and by llama.cpp, side by side.

Both use llama.cpp's `perplexity` definition: tokenize the whole text once (BOS first when
the vocabulary adds one), cut it into non-overlapping windows of --context tokens, replace
each window's first token by BOS, and score only the second half of every window:
PPL = exp(mean NLL). llama.cpp runs through llama-cpp-python (logits of every position).

Rerun (from the repository root; not part of CI):

    CMAKE_ARGS="-DGGML_NATIVE=ON" pip install llama-cpp-python==0.3.36 numpy
    swift build -c release
    python3 tools/compare_perplexity.py --model Models/default.gguf --text Models/default-heldout.txt --context 256
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def llama_cpp_perplexity(model: str, text: str, context: int, threads: int) -> dict:
    from llama_cpp import Llama

    llm = Llama(model_path=model, n_ctx=context, n_batch=context, logits_all=True, n_threads=threads, verbose=False)
    add_bos = llm._model.add_bos_token() if hasattr(llm._model, "add_bos_token") else True
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=False)
    bos = llm.token_bos()
    windows = len(tokens) // context
    if windows < 1:
        raise SystemExit(f"text has {len(tokens)} tokens, fewer than one window of {context}")
    first = context // 2
    nll, count = 0.0, 0
    for w in range(windows):
        window = list(tokens[w * context:(w + 1) * context])
        if add_bos:
            window[0] = bos
        llm.reset()
        llm.eval(window)
        logits = np.asarray(llm.scores[:context], dtype=np.float64)
        for p in range(first, context - 1):
            row = logits[p]
            m = row.max()
            nll += math.log(np.exp(row - m).sum()) + m - row[window[p + 1]]
            count += 1
    return {"perplexity": math.exp(nll / count), "tokens": count, "windows": windows, "text_tokens": len(tokens)}


def ours(model: str, text: str, context: int, threads: int, binary: Path) -> dict:
    out = subprocess.run([str(binary), "perplexity", "--model", model, "--text", text, "--context", str(context),
                          "--threads", str(threads), "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--text", required=True)
    ap.add_argument("--context", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--binary", type=Path, default=REPO / ".build" / "release" / "autoglm")
    args = ap.parse_args()
    text = Path(args.text).read_text(encoding="utf-8")
    ref = llama_cpp_perplexity(args.model, text, args.context, args.threads)
    mine = ours(args.model, args.text, args.context, args.threads, args.binary)
    ratio = mine["perplexity"] / ref["perplexity"]
    print(f"model {args.model}, text {args.text}, context {args.context}")
    print(f"llama.cpp    perplexity {ref['perplexity']:.4f}  scored {ref['tokens']}  windows {ref['windows']}  text tokens {ref['text_tokens']}")
    print(f"Open-AutoGLM perplexity {mine['perplexity']:.4f}  scored {mine['tokens']}  windows {mine['windows']}  text tokens {mine['text_tokens']}")
    print(f"ratio ours/llama.cpp {ratio:.5f}  ({(ratio - 1) * 100:+.3f}%)")
    sys.exit(0)


if __name__ == "__main__":
    main()
