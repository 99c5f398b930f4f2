#!/usr/bin/env python3
"""llama.cpp's speed on the K-quant files of the Llama-3.2-1B-shaped benchmark model: the
anchor our K-quant kernels will be measured against (issue 15).

Measured as tools/compare_kernels.py measures (it supplies the bandwidth probe and the
llama.cpp worker): each round first probes the 2-thread read bandwidth, then runs llama.cpp
once per type, alternating types round by round; each run warms up once (touching the
weights) and takes the median of --inner repetitions of a pp128 prefill and 64 one-token
decode steps. Only llama.cpp runs: our K-quant kernels are still the scalar reference.

Files come from llama.cpp's own quantizer (llama_model_quantize) applied to compare_kernels.py's
F16 file ($AUTOGLM_BENCH_DIR, read only) and are kept apart in $AUTOGLM_KQ_BENCH_DIR (default
~/.cache/autoglm-bench-kq), so they never stand in for compare_kernels.py's own files. Without
that F16 file (its build needs torch), `build` writes one of the same shape (hidden 2048, 16
layers, 32/8 heads, FFN 8192, vocab 128256, tied embeddings) straight from numpy with gguf-py
into the K-quant folder: random weights, as there.

    python3 tools/compare_llama_kquants.py build --types q4_0,q8_0,q4_k_m,q5_k_m,q6_k
    python3 tools/compare_llama_kquants.py run --types q4_0,q4_k_m,q5_k_m,q6_k --rounds 3
"""
from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_kernels as ck  # noqa: E402

# compare_kernels' folder is only read; everything written here goes to our own.
SHARED_F16 = ck.gguf_path("f16")
ck.CACHE = Path(os.environ.get("AUTOGLM_KQ_BENCH_DIR", Path.home() / ".cache" / "autoglm-bench-kq"))

FTYPES = {"q4_0": 2, "q8_0": 7, "q4_k_s": 14, "q4_k_m": 15, "q5_k_m": 17, "q6_k": 18, "q3_k_m": 12, "q2_k": 10}


def write_f16_from_numpy(path: Path) -> None:
    import numpy as np
    import gguf
    s = ck.MODEL_SHAPE
    rng = np.random.default_rng(ck.SEED)
    tokens = [f"<t{i}>" for i in range(s["vocab"])]
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("llama-1b-shape")
    for add, value in [(w.add_context_length, 2048), (w.add_embedding_length, s["hidden"]), (w.add_block_count, s["layers"]),
                       (w.add_feed_forward_length, s["ffn"]), (w.add_head_count, s["heads"]),
                       (w.add_head_count_kv, s["kv_heads"]), (w.add_rope_dimension_count, s["head_dim"]),
                       (w.add_vocab_size, s["vocab"]), (w.add_file_type, 1)]:
        add(value)
    w.add_rope_freq_base(500000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("llama-bpe")
    w.add_token_list(tokens)
    w.add_token_types([1] * len(tokens))
    w.add_token_merges(["<t2> <t3>"])  # llama.cpp refuses a BPE vocabulary without merges
    w.add_bos_token_id(0)
    w.add_eos_token_id(1)

    def normal(rows: int, cols: int, std: float):
        return (rng.standard_normal((rows, cols), dtype=np.float32) * std).astype(np.float16)

    h, f, kv = s["hidden"], s["ffn"], s["kv_heads"] * s["head_dim"]
    w.add_tensor("token_embd.weight", normal(s["vocab"], h, 0.02))
    for i in range(s["layers"]):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(h, dtype=np.float32))
        for name, rows, cols in [("attn_q", h, h), ("attn_k", kv, h), ("attn_v", kv, h), ("attn_output", h, h),
                                 ("ffn_gate", f, h), ("ffn_up", f, h), ("ffn_down", h, f)]:
            w.add_tensor(f"blk.{i}.{name}.weight", normal(rows, cols, cols ** -0.5))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(h, dtype=np.float32))
    w.add_tensor("output_norm.weight", np.ones(h, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def build(args) -> None:
    import llama_cpp
    ck.CACHE.mkdir(parents=True, exist_ok=True)
    f16 = SHARED_F16 if SHARED_F16.is_file() else ck.gguf_path("f16")
    if not f16.is_file():
        ck.log(f"{f16} missing: writing it from numpy")
        write_f16_from_numpy(f16)
    for t in args.types.split(","):
        out = ck.gguf_path(t)
        if out.is_file():
            continue
        ck.log(f"llama_model_quantize → {out}")
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = FTYPES[t]
        params.nthread = args.threads
        if llama_cpp.llama_model_quantize(str(f16).encode(), str(out).encode(), ctypes.byref(params)) != 0:
            raise SystemExit(f"quantizing to {t} failed")


def run(args) -> None:
    types = args.types.split(",")
    results = {t: {"pp": [], "tg": []} for t in types}
    rounds = []
    for rnd in range(args.rounds):
        bw = ck.bandwidth_probe(args.threads)
        bw["load"] = os.getloadavg()[0]
        rounds.append(bw)
        ck.log(f"round {rnd + 1}/{args.rounds}: read bandwidth {bw['best_gbps']} GB/s, load average {bw['load']:.1f}")
        order = types if rnd % 2 == 0 else list(reversed(types))
        for t in order:
            r = ck.run_worker("llama", args, t, args.inner)
            results[t]["pp"] += r["pp"]
            results[t]["tg"] += r["tg"]
            ck.log(f"  llama.cpp {t}: pp {ck.med(r['pp']):.1f} tg {ck.med(r['tg']):.2f}")
    bw = statistics.median(b["best_gbps"] for b in rounds)
    flags = [f for f in Path("/proc/cpuinfo").read_text().split("flags")[1].split("\n")[0].split()
             if f.startswith(("avx", "fma", "f16c"))]
    print(f"\nllama.cpp (llama-cpp-python), {args.threads} threads, pp{args.prompt_tokens}, tg{args.gen_tokens}, "
          f"{args.rounds} rounds × {args.inner}, alternating; CPU flags: {' '.join(flags)}")
    print("read bandwidth per round (GB/s): " + ", ".join(f"{b['best_gbps']:.1f}" for b in rounds)
          + "; load average per round: " + ", ".join(f"{b['load']:.1f}" for b in rounds) + f" on {os.cpu_count()} CPUs")
    print(f"\n| type | file GB | pp{args.prompt_tokens} tok/s | tg{args.gen_tokens} tok/s (min–max) | decode GB/s | % of read bw |")
    print("|---|---|---|---|---|---|")
    for t in types:
        size = os.path.getsize(ck.gguf_path(t))
        tg = ck.med(results[t]["tg"])
        print(f"| {t} | {size / 1e9:.2f} | {ck.med(results[t]['pp']):.1f} | {tg:.2f} "
              f"({min(results[t]['tg']):.2f}–{max(results[t]['tg']):.2f}) | {size * tg / 1e9:.1f} | {100 * size * tg / 1e9 / bw:.0f}% |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--types", default="q4_0,q8_0,q4_k_m,q5_k_m,q6_k")
    b.add_argument("--threads", type=int, default=2)
    r = sub.add_parser("run")
    r.add_argument("--types", default="q4_0,q4_k_m,q5_k_m,q6_k")
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--inner", type=int, default=3)
    r.add_argument("--prompt-tokens", type=int, default=128)
    r.add_argument("--gen-tokens", type=int, default=64)
    args = ap.parse_args()
    build(args) if args.command == "build" else run(args)


if __name__ == "__main__":
    main()
