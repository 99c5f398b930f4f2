#!/usr/bin/env python3
"""Perplexity speed: `autoglm perplexity` against llama.cpp's perplexity, alternating.

Same GGUF files, same text, same window (--context) and threads. Each round runs every
file once through both tools, the order flipping each round, and times the whole process
(load, tokenize, score) by wall clock; the table reports the minimum and the median per
tool, the speed ratio of the minima (llama.cpp time / ours: above 1 means we are faster),
each process's CPU time (user + system; on a shared machine wall time mostly measures the
other jobs, while spinning worker threads inflate CPU time), and both perplexities,
which must agree.

llama.cpp is its `llama-perplexity` tool (--llama-perplexity PATH), built from the
llama-cpp-python sdist (no CLI ships in the wheel):

    tar xzf llama_cpp_python-0.3.36.tar.gz && cd llama_cpp_python-0.3.36/vendor/llama.cpp
    cmake -S . -B /work/llama-tools/build -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
          -DLLAMA_BUILD_SERVER=OFF -DCMAKE_BUILD_TYPE=Release
    cmake --build /work/llama-tools/build --target llama-perplexity -j2

Without it, llama.cpp runs through llama-cpp-python (logits_all, one window per eval,
the log-softmax in numpy), timed the same way in a child process.

    swift build -c release
    python3 tools/perplexity_speed.py --rounds 5 --llama-perplexity /work/llama-tools/build/bin/llama-perplexity

The files default to the bundled F32 model and its F16 and Q8_0 conversions made with
`autoglm quantize` into --work-dir. Not part of CI (needs llama.cpp and a quiet machine).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

LLAMA_CPP_PYTHON = r"""
import math, sys
import numpy as np
from llama_cpp import Llama
model, text, context, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
llm = Llama(model_path=model, n_ctx=context, n_batch=context, n_ubatch=context, logits_all=True,
            n_threads=threads, n_threads_batch=threads, verbose=False)
tokens = llm.tokenize(open(text, encoding="utf-8").read().encode("utf-8"), add_bos=True, special=False)
bos, first, nll, count = llm.token_bos(), context // 2, 0.0, 0
for w in range(len(tokens) // context):
    window = list(tokens[w * context:(w + 1) * context])
    window[0] = bos
    llm.reset()
    llm.eval(window)
    logits = np.asarray(llm.scores[:context], dtype=np.float64)[first:context - 1]
    m = logits.max(axis=1)
    nll += float(np.sum(np.log(np.exp(logits - m[:, None]).sum(axis=1)) + m
                        - logits[np.arange(context - 1 - first), window[first + 1:]]))
    count += context - 1 - first
print(math.exp(nll / count))
"""


def cpu_summary() -> str:
    flags: set[str] = set()
    model = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
            elif line.startswith("model name") and model == "?":
                model = line.split(":", 1)[1].strip()
    wanted = ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16"]
    return f"{model}; {' '.join(f for f in wanted if f in flags)}; {os.cpu_count()} CPUs"


CPU_SECONDS: list[float] = []  # user + system time of the last child, next to its wall time


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return time.perf_counter() - started, out.stdout + out.stderr


def run_ours(binary: Path, model: str, text: str, context: int, threads: int) -> tuple[float, float]:
    seconds, out = timed([str(binary), "perplexity", "--model", model, "--text", text, "--context", str(context),
                          "--threads", str(threads), "--json"])
    line = next(l for l in out.splitlines() if l.startswith("{"))
    return seconds, json.loads(line)["perplexity"]


def run_llama(tool: Path | None, model: str, text: str, context: int, threads: int) -> tuple[float, float]:
    if tool is None:
        seconds, out = timed([sys.executable, "-c", LLAMA_CPP_PYTHON, model, text, str(context), str(threads)])
        return seconds, float(out.strip().splitlines()[-1])
    seconds, out = timed([str(tool), "-m", model, "-f", text, "-c", str(context), "-t", str(threads), "-tb", str(threads)])
    match = re.search(r"Final estimate: PPL = ([0-9.]+)", out)
    if not match:
        raise SystemExit(f"no final estimate in llama-perplexity's output:\n{out[-2000:]}")
    return seconds, float(match.group(1))


def default_models(binary: Path, work: Path) -> list[str]:
    work.mkdir(parents=True, exist_ok=True)
    source = REPO / "Models" / "glm4-kjv-7m-f32.gguf"
    models = [str(source)]
    for kind in ["f16", "q8_0"]:
        out = work / f"glm4-kjv-7m-{kind}.gguf"
        if not out.exists():
            subprocess.run([str(binary), "quantize", "--model", str(source), "--out", str(out), "--type", kind],
                           check=True, capture_output=True)
        models.append(str(out))
    return models


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", nargs="*", help="GGUF files (default: the bundled model as F32, F16, Q8_0)")
    ap.add_argument("--text", default=str(REPO / "Models" / "default-heldout.txt"))
    ap.add_argument("--context", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--binary", type=Path, default=REPO / ".build" / "release" / "autoglm")
    ap.add_argument("--llama-perplexity", type=Path, help="llama.cpp's llama-perplexity (default: llama-cpp-python)")
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/autoglm-perplexity-speed"))
    args = ap.parse_args()
    models = args.models or default_models(args.binary, args.work_dir)
    llama_name = "llama-perplexity" if args.llama_perplexity else "llama-cpp-python"
    print(f"CPU: {cpu_summary()}")
    print(f"text {args.text}, context {args.context}, threads {args.threads}, {args.rounds} rounds, llama.cpp via {llama_name}")
    times: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    ppl: dict[tuple[str, str], float] = {}
    for r in range(args.rounds):
        for model in models:
            order = ["ours", "llama"] if r % 2 == 0 else ["llama", "ours"]
            for who in order:
                if who == "ours":
                    seconds, value = run_ours(args.binary, model, args.text, args.context, args.threads)
                else:
                    seconds, value = run_llama(args.llama_perplexity, model, args.text, args.context, args.threads)
                times.setdefault((model, who), []).append(seconds)
                cpu.setdefault((model, who), []).append(CPU_SECONDS[-1])
                ppl[(model, who)] = value
                print(f"  round {r + 1} {Path(model).name:28} {who:5} {seconds:7.2f} s wall {CPU_SECONDS[-1]:7.2f} s CPU"
                      f"  ppl {value:.4f}", flush=True)
    print()
    print("| file | ours wall min / median (s) | llama.cpp wall min / median (s) | speed (llama.cpp wall / ours) "
          "| CPU s ours / llama.cpp (min) | ppl ours | ppl llama.cpp |")
    print("|---|---|---|---|---|---|---|")
    for model in models:
        ours, llama = times[(model, "ours")], times[(model, "llama")]
        print(f"| {Path(model).name} | {min(ours):.2f} / {statistics.median(ours):.2f} | "
              f"{min(llama):.2f} / {statistics.median(llama):.2f} | {min(llama) / min(ours):.2f}x | "
              f"{min(cpu[(model, 'ours')]):.2f} / {min(cpu[(model, 'llama')]):.2f} | "
              f"{ppl[(model, 'ours')]:.4f} | {ppl[(model, 'llama')]:.4f} |")

if __name__ == "__main__":
    main()
