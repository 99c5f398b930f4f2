#!/usr/bin/env python3
"""Kernel speed on a Llama-3.2-1B-shaped model: Open-AutoGLM against llama.cpp and PyTorch INT8.

Issue 8's comparison. The machine's memory bandwidth switches between two states from one
minute to the next and fresh memory is slow on first touch, so every figure here is taken
the same way:
  * runtimes alternate (ours, llama.cpp, ours, llama.cpp, …) within one invocation;
  * each process touches its memory with an untimed warm-up before timing;
  * the read bandwidth is measured (2-thread streaming read, memory touched first) before
    every round and printed beside that round's figures.
Only the ratios of one run count; absolute tokens/s move with the bandwidth state.

The model (random weights, real config): hidden 2048, 16 layers, 32 heads, 8 KV heads,
FFN 8192, vocab 128256, tied embeddings. Built once with transformers into an HF folder,
converted to GGUF F32/F16 with llama.cpp's converter and to Q8_0 (and INT8 when
`autoglm quantize --type int8` exists) with ours. Cached in $AUTOGLM_BENCH_DIR
(default ~/.cache/autoglm-bench), outside git: about 16 GB.

    swift build -c release
    python3 tools/compare_kernels.py build                 # once (~10 minutes)
    python3 tools/compare_kernels.py run --types q8_0 --rounds 3 --threads 2
    python3 tools/compare_kernels.py run --types q8_0,f32 --torch --prompt-tokens 512

The AVX2 rows (issue 14): `--kernels avx512vnni,avx2` runs ours once per kernel path
(AUTOGLM_KERNELS), and `--llama-avx2 DIR` adds a second llama.cpp, a llama-cpp-python
built AVX2-only into DIR (`pip install --target DIR` with CMAKE_ARGS="-DGGML_NATIVE=OFF
-DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF …"), so a machine with
AVX-512 measures what an AVX2-only machine would run:

    python3 tools/compare_kernels.py run --types q8_0,f16,f32 --kernels avx512vnni,avx2 --llama-avx2 /work/llama-avx2
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
CACHE = Path(os.environ.get("AUTOGLM_BENCH_DIR", Path.home() / ".cache" / "autoglm-bench"))
HF_DIR = CACHE / "llama-1b-shape-hf"

MODEL_SHAPE = dict(hidden=2048, layers=16, heads=32, kv_heads=8, ffn=8192, vocab=128256, head_dim=64)
# A tokenizer is needed only by the converter; the benchmark feeds token ids directly.
# The converter pads a smaller vocabulary with [PAD] tokens up to the config's vocab size.
TOKENIZER_VOCAB = 400
SEED = 1234


def log(*a) -> None:
    print(*a, file=sys.stderr, flush=True)


def gguf_path(qtype: str) -> Path:
    return CACHE / f"llama-1b-shape-{qtype}.gguf"


# ---------------------------------------------------------------------------- build

def build_hf_folder() -> None:
    import torch
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers, processors, AddedToken

    if (HF_DIR / "config.json").is_file() and any(HF_DIR.glob("*.safetensors")):
        log(f"HF folder exists: {HF_DIR}")
        return
    HF_DIR.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    text = [(REPO / "Models" / "default-heldout.txt").read_text(encoding="utf-8")[:200_000]]
    tok.train_from_iterator(text, trainer=trainers.BpeTrainer(
        vocab_size=TOKENIZER_VOCAB, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False)
                            for s in ("<|begin_of_text|>", "<|end_of_text|>")])
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", bos)])
    tok.save(str(HF_DIR / "tokenizer.json"))
    (HF_DIR / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|begin_of_text|>",
        "eos_token": "<|end_of_text|>", "model_max_length": 131072}))
    s = MODEL_SHAPE
    cfg = transformers.LlamaConfig(
        vocab_size=s["vocab"], hidden_size=s["hidden"], intermediate_size=s["ffn"],
        num_hidden_layers=s["layers"], num_attention_heads=s["heads"], num_key_value_heads=s["kv_heads"],
        head_dim=s["head_dim"], max_position_embeddings=131072, rms_norm_eps=1e-5, tie_word_embeddings=True,
        rope_parameters={"rope_type": "default", "rope_theta": 500000.0}, hidden_act="silu",
        bos_token_id=bos, eos_token_id=tok.token_to_id("<|end_of_text|>"), dtype="float32")
    cfg.architectures = ["LlamaForCausalLM"]
    torch.manual_seed(SEED)
    log("initialising the 1.2B-parameter model with random weights")
    model = transformers.LlamaForCausalLM(cfg).float().eval()
    model.save_pretrained(HF_DIR, safe_serialization=True)
    log(f"saved {HF_DIR}")


def build(args) -> None:
    import llama_cpp_converter
    CACHE.mkdir(parents=True, exist_ok=True)
    build_hf_folder()
    lcp = llama_cpp_converter.llama_cpp_dir(log)
    for qtype in ("f32", "f16"):
        out = gguf_path(qtype)
        if not out.is_file():
            log(f"converting to {out}")
            llama_cpp_converter.convert(lcp, HF_DIR, qtype, out, "llama-bpe", "llama-1b-shape",
                                        CACHE / f"convert-{qtype}.log")
    for qtype in ("q8_0", "int8"):
        out = gguf_path(qtype)
        if out.is_file():
            continue
        log(f"quantizing to {out}")
        r = subprocess.run([str(args.binary), "quantize", "--model", str(gguf_path("f32")), "--out", str(out),
                            "--type", qtype], capture_output=True, text=True)
        if r.returncode != 0:
            log(f"  autoglm quantize --type {qtype} failed (skipped): {r.stderr.strip()[:300]}")


# ---------------------------------------------------------------------------- bandwidth

BANDWIDTH_C = r"""
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <immintrin.h>
/* Streaming read of a buffer split over T threads: the decode step's access pattern. */
static size_t N; static int T; static char *buf;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static void *reader(void *arg) {
    size_t i = (size_t)arg, lo = N / T * i, hi = N / T * (i + 1);
    __m512i acc = _mm512_setzero_si512();
    for (size_t p = lo; p < hi; p += 256) {
        acc = _mm512_add_epi64(acc, _mm512_load_si512(buf + p));
        acc = _mm512_add_epi64(acc, _mm512_load_si512(buf + p + 64));
        acc = _mm512_add_epi64(acc, _mm512_load_si512(buf + p + 128));
        acc = _mm512_add_epi64(acc, _mm512_load_si512(buf + p + 192));
    }
    volatile long long sink = _mm512_reduce_add_epi64(acc); (void)sink;
    return NULL;
}
int main(int argc, char **argv) {
    N = (size_t)atol(argv[1]) << 20; T = atoi(argv[2]); int reps = atoi(argv[3]);
    buf = aligned_alloc(4096, N); memset(buf, 1, N);  /* touch first: first-touch is slow */
    pthread_t th[64]; double best = 0, sum = 0;
    for (int r = 0; r < reps + 1; r++) {
        double t0 = now();
        for (long i = 0; i < T; i++) pthread_create(&th[i], NULL, reader, (void *)i);
        for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
        double gbps = N / (now() - t0) / 1e9;
        if (r == 0) continue;  /* warm-up pass */
        sum += gbps; if (gbps > best) best = gbps;
    }
    printf("{\"best_gbps\": %.2f, \"mean_gbps\": %.2f}\n", best, sum / reps);
    return 0;
}
"""


def bandwidth_probe(threads: int) -> dict:
    exe = CACHE / "read_bandwidth"
    src = CACHE / "read_bandwidth.c"
    if not exe.is_file() or src.read_text() != BANDWIDTH_C:
        src.write_text(BANDWIDTH_C)
        subprocess.run(["cc", "-O2", "-march=native", "-pthread", str(src), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe), "1024", str(threads), "5"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


# ---------------------------------------------------------------------------- runtimes

def run_ours(args, qtype: str, reps: int, kernels: str = "") -> dict:
    """`kernels`: the kernel path to force (AUTOGLM_KERNELS); empty for the detected one."""
    cmd = [str(args.binary), "bench", "--model", str(gguf_path(qtype)), "--prompt-tokens", str(args.prompt_tokens),
           "--gen-tokens", str(args.gen_tokens), "--repetitions", str(reps), "--threads", str(args.threads), "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "AUTOGLM_KERNELS": kernels})
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {r.stderr}")
    j = json.loads(r.stdout)
    return {"pp": j["prefill_tokens_per_second"]["runs"], "tg": j["decode_tokens_per_second"]["runs"],
            "rss": j["peak_rss_bytes"], "e2e_ms": j["e2e_ms"]["median"], "kernels": j.get("kernels", "?")}


def prompt_ids(n: int, vocab: int = MODEL_SHAPE["vocab"]) -> list[int]:
    # The same deterministic ids as `autoglm bench` (BenchPrompt): spread over the vocabulary.
    return [(i * 7919 + 13) % vocab for i in range(n)]


def llama_cpp_worker(model: str, threads: int, n_prompt: int, n_gen: int, reps: int) -> dict:
    from llama_cpp import Llama
    llm = Llama(model_path=model, n_ctx=n_prompt + n_gen + 8, n_batch=max(n_prompt, 32), n_ubatch=max(n_prompt, 32),
                n_threads=threads, n_threads_batch=threads, verbose=False)
    import numpy as np
    import llama_cpp
    ids = prompt_ids(n_prompt)
    n_vocab = llm.n_vocab()
    pp, tg, e2e = [], [], []

    def last_argmax() -> int:
        # The last position's logits straight from llama.cpp (llm.scores keeps only a window).
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(n_vocab,))
        return int(logits.argmax())

    def one() -> tuple[float, float, float]:
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(ids)
        t1 = time.perf_counter()
        tok = last_argmax()
        for _ in range(n_gen):  # as autoglm bench: gen-tokens one-token passes, each after a sample
            llm.eval([tok])
            tok = last_argmax()
        t2 = time.perf_counter()
        return n_prompt / (t1 - t0), n_gen / (t2 - t1), (t2 - t0) * 1000

    one()  # warm-up: touches the weights and buffers
    for _ in range(reps):
        a, b, c = one()
        pp.append(a); tg.append(b); e2e.append(c)
    return {"pp": pp, "tg": tg, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "e2e_ms": statistics.median(e2e)}


def torch_worker(threads: int, n_prompt: int, n_gen: int, reps: int) -> dict:
    import torch
    import transformers
    torch.set_num_threads(threads)
    model = transformers.AutoModelForCausalLM.from_pretrained(HF_DIR, dtype=torch.float32).eval()
    # Per-output-channel int8 weights (fbgemm / x86 engine), every nn.Linear incl. lm_head.
    model = torch.ao.quantization.quantize_dynamic(
        model, {torch.nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig}, dtype=torch.qint8)
    ids = torch.tensor([prompt_ids(n_prompt)])
    pp, tg, e2e = [], [], []

    def one() -> tuple[float, float, float]:
        with torch.inference_mode():
            t0 = time.perf_counter()
            out = model(ids, use_cache=True)
            t1 = time.perf_counter()
            past = out.past_key_values
            tok = out.logits[:, -1:].argmax(-1)
            for _ in range(n_gen):
                out = model(tok, past_key_values=past, use_cache=True)
                past = out.past_key_values
                tok = out.logits[:, -1:].argmax(-1)
            t2 = time.perf_counter()
        return n_prompt / (t1 - t0), n_gen / (t2 - t1), (t2 - t0) * 1000

    one()
    for _ in range(reps):
        a, b, c = one()
        pp.append(a); tg.append(b); e2e.append(c)
    return {"pp": pp, "tg": tg, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "e2e_ms": statistics.median(e2e)}


def run_worker(kind: str, args, qtype: str, reps: int, site: str | None = None) -> dict:
    """`site`: a directory holding another llama-cpp-python build, put first on the path."""
    cmd = [sys.executable, __file__, "worker", kind, str(gguf_path(qtype)), str(args.threads),
           str(args.prompt_tokens), str(args.gen_tokens), str(reps)]
    env = dict(os.environ)
    if site:
        env["PYTHONPATH"] = site + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"{kind} worker failed: {r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- run

def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def run(args) -> None:
    types = [t for t in args.types.split(",") if t]
    for t in types:
        if not gguf_path(t).is_file():
            raise SystemExit(f"{gguf_path(t)} missing: run `tools/compare_kernels.py build` first")
    results: dict[str, dict[str, list]] = {}
    bandwidths = []

    def add(key: str, r: dict) -> None:
        e = results.setdefault(key, {"pp": [], "tg": [], "rss": [], "e2e_ms": []})
        e["pp"] += r["pp"]; e["tg"] += r["tg"]; e["rss"].append(r["rss"]); e["e2e_ms"].append(r["e2e_ms"])

    ratios: dict[str, dict[str, list]] = {}
    paths = [k for k in args.kernels.split(",") if k] or [""]
    llamas = [("llama.cpp", None)] + ([("llama.cpp-avx2", str(args.llama_avx2))] if args.llama_avx2 else [])

    def ratio(label: str, a: dict, b: dict) -> None:
        r = ratios.setdefault(label, {"pp": [], "tg": []})
        r["pp"].append(med(a["pp"]) / med(b["pp"]))
        r["tg"].append(med(a["tg"]) / med(b["tg"]))

    for rnd in range(args.rounds):
        bw = bandwidth_probe(args.threads)
        bw["load"] = os.getloadavg()[0]
        bandwidths.append(bw)
        log(f"round {rnd + 1}/{args.rounds}: read bandwidth {bw['best_gbps']} GB/s (best of 5, {args.threads} threads), "
            f"load average {bw['load']:.1f} on {os.cpu_count()} CPUs")
        for t in types:
            # Alternating: each of our kernel paths, then each llama.cpp build.
            ours = {}
            for path in paths:
                a = run_ours(args, t, args.inner, path)
                ours[a["kernels"]] = a
                name = f"ours[{a['kernels']}]" if args.kernels else "ours"
                add(f"{name} {t}", a)
                log(f"  {name} {t}: pp {med(a['pp']):.1f} tg {med(a['tg']):.2f}")
            if not args.no_llama and t in ("f32", "f16", "q8_0"):
                for llama, site in llamas:
                    b = run_worker("llama", args, t, args.inner, site)
                    add(f"{llama} {t}", b)
                    log(f"  {llama} {t}: pp {med(b['pp']):.1f} tg {med(b['tg']):.2f}")
                    for path, a in ours.items():
                        ratio(f"{t}: ours[{path}] / {llama}" if args.kernels else t, a, b)
            if "avx2" in ours and "avx512vnni" in ours:
                ratio(f"{t}: ours[avx2] / ours[avx512vnni]", ours["avx2"], ours["avx512vnni"])
        if args.torch:
            c = run_worker("torch", args, "f32", args.inner)
            add("pytorch int8 dynamic", c)
            log(f"  pytorch int8: pp {med(c['pp']):.1f} tg {med(c['tg']):.2f}")

    weights = {t: os.path.getsize(gguf_path(t)) for t in types}
    print(f"\nthreads {args.threads}, prompt {args.prompt_tokens}, generated {args.gen_tokens}, "
          f"{args.rounds} rounds × {args.inner} repetitions, alternating")
    print("read bandwidth per round (GB/s, best of 5): " + ", ".join(f"{b['best_gbps']:.1f}" for b in bandwidths)
          + f"; 1-minute load average per round: " + ", ".join(f"{b['load']:.1f}" for b in bandwidths)
          + f" on {os.cpu_count()} CPUs (other jobs share the machine)")
    bw = med([b["best_gbps"] for b in bandwidths])
    print(f"\n| runtime | type | pp{args.prompt_tokens} tok/s | tg{args.gen_tokens} tok/s (min–max) | "
          f"e2e ms | peak RSS MiB | decode GB/s | % of read bw |")
    print("|---|---|---|---|---|---|---|---|")
    for key, e in results.items():
        name, t = key.rsplit(" ", 1) if not key.startswith("pytorch") else (key, "int8")
        size = weights.get(t) if not key.startswith("pytorch") else None
        tg = med(e["tg"])
        gbps = size * tg / 1e9 if size else float("nan")
        print(f"| {name} | {t} | {med(e['pp']):.1f} | {tg:.2f} ({min(e['tg']):.2f}–{max(e['tg']):.2f}) | "
              f"{med(e['e2e_ms']):.0f} | {max(e['rss']) / 2**20:.0f} | "
              + (f"{gbps:.1f} | {100 * gbps / bw:.0f}% |" if size else "– | – |"))
    if ratios:
        print("\nratios, median of the per-round ratios (same round, same file, same threads):")
        for t, r in ratios.items():
            print(f"  {t}: prefill {med(r['pp']):.2f}×  decode {med(r['tg']):.2f}×   "
                  f"(per round pp {', '.join(f'{x:.2f}' for x in r['pp'])}; tg {', '.join(f'{x:.2f}' for x in r['tg'])})")
    if args.torch and not args.kernels:  # the per-path rows have their own names
        p = results["pytorch int8 dynamic"]
        for t in types:
            o = results[f"ours {t}"]
            print(f"  ours {t} / pytorch int8: prefill {med(o['pp']) / med(p['pp']):.2f}×  "
                  f"decode {med(o['tg']) / med(p['tg']):.2f}×  peak RSS {max(o['rss']) / max(p['rss']):.3f}×")
    if "f32" in types and not args.kernels:
        f = results["ours f32"]
        for t in types:
            if t != "f32":
                print(f"  ours {t} / ours f32 decode: {med(results[f'ours {t}']['tg']) / med(f['tg']):.2f}×")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        kind, model, threads, n_prompt, n_gen, reps = sys.argv[2:8]
        if kind == "llama":
            r = llama_cpp_worker(model, int(threads), int(n_prompt), int(n_gen), int(reps))
        else:
            r = torch_worker(int(threads), int(n_prompt), int(n_gen), int(reps))
        print(json.dumps(r))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the benchmark model files (cached)")
    b.add_argument("--binary", type=Path, default=REPO / ".build" / "release" / "autoglm")
    r = sub.add_parser("run", help="alternate the runtimes and print the table")
    r.add_argument("--binary", type=Path, default=REPO / ".build" / "release" / "autoglm")
    r.add_argument("--types", default="q8_0", help="comma-separated: f32,f16,q8_0,int8")
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--prompt-tokens", type=int, default=128)
    r.add_argument("--gen-tokens", type=int, default=64)
    r.add_argument("--rounds", type=int, default=3, help="A B rounds, bandwidth measured before each")
    r.add_argument("--inner", type=int, default=2, help="timed repetitions inside each process")
    r.add_argument("--torch", action="store_true", help="also PyTorch dynamic INT8 on the HF folder")
    r.add_argument("--no-llama", action="store_true")
    r.add_argument("--kernels", default="", help="comma-separated kernel paths to run ours on (AUTOGLM_KERNELS), "
                   "e.g. avx512vnni,avx2; default: the detected one")
    r.add_argument("--llama-avx2", type=Path, help="directory of an AVX2-only llama-cpp-python build (pip --target)")
    bw = sub.add_parser("bandwidth", help="only the read-bandwidth probe")
    bw.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if args.command == "build":
        build(args)
    elif args.command == "run":
        run(args)
    else:
        print(json.dumps(bandwidth_probe(args.threads)))


if __name__ == "__main__":
    main()
