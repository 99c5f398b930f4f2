#!/usr/bin/env python3
"""Instructions per prefill token and per decode token on aarch64, ours against llama.cpp.

We have no ARM board, but qemu-user can count what the aarch64 builds execute. Per CPU
model (qemu -cpu cortex-a72: armv8.0; cortex-a76: dotprod; max: i8mm) and weight type,
each runtime runs the same model file three times on one thread:

    A: prefill P1 tokens, decode G1      B: prefill P2, decode G1      C: prefill P1, decode G2

and   per prefill token = (B − A) / (P2 − P1),   per decode token = (C − A) / (G2 − G1),

so loading, set-up and exit cancel. Counting: qemu's TCG plugin interface (Debian's
qemu-user 7.2 supports plugins but ships none of qemu's example plugins, so
tools/arm_cost/insn_count.c is built here: an exact per-block inline counter). It counts
instructions, not time: no memory stalls, no latencies — a proxy that catches a kernel
doing twice the work, not a benchmark.

  ours:      Toolchains/build/crosscheck-aarch64 --backend neon --cost P G — AutoGLMCore as
             Embedded Swift, one armv8.0 (-target-cpu generic) binary for every CPU model;
             its int8 path (neon / neon-dotprod / neon-i8mm) is picked at start-up from the
             CPU's feature bits.
  llama.cpp: ggml + llama from the llama-cpp-python 0.3.36 sdist (vendor/llama.cpp),
             cross-compiled with aarch64-linux-gnu-gcc, static, no OpenMP, one build per CPU
             model with that model's -march (GGML_CPU_ARM_ARCH), driven by
             tools/arm_cost/llama_cost_driver.c (the same prefill/decode work).

Model: a Llama-shaped GGUF with random weights written here with gguf-py and numpy (seeded,
so reproducible): hidden 768, 6 layers, 12 heads / 4 KV heads (head dim 64), FFN 2048, the
411-token tokenizer of Tests/Fixtures/models/llama-q8_0.gguf; Q8_0 (and Q4_0) for every
matrix. Matmuls dominate (~38 M multiply-adds per token) and a run takes seconds under qemu.

    python3 tools/arm_cost.py build                  # llama.cpp cross builds (~20 min), model files
    python3 tools/arm_cost.py run                    # the table (markdown) for BENCHMARKS.md
    python3 tools/arm_cost.py run --cpus cortex-a76 --types q8_0
Cache: $AUTOGLM_ARM_COST_DIR (default ~/.cache/autoglm-arm-cost).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("AUTOGLM_ARM_COST_DIR", Path.home() / ".cache" / "autoglm-arm-cost"))
SDIST = Path(os.environ.get("LLAMA_CPP_SDIST", "/work/sdist/llama_cpp_python-0.3.36.tar.gz"))
SYSROOT = Path(os.environ.get("AARCH64_SYSROOT", "/usr/aarch64-linux-gnu"))
OURS = REPO / "Toolchains" / "build" / "crosscheck-aarch64"
PLUGIN_SOURCE = REPO / "tools" / "arm_cost" / "insn_count.c"
DRIVER_SOURCE = REPO / "tools" / "arm_cost" / "llama_cost_driver.c"

# qemu CPU model -> the -march llama.cpp is built with for it (its best case on that CPU;
# SVE left out: ggml would take SVE paths on `max`, which real i8mm boards mostly lack).
CPU_MARCH = {
    "cortex-a72": "armv8-a",
    "cortex-a76": "armv8.2-a+dotprod",
    "max": "armv8.6-a+dotprod+i8mm",
}
# The path our binary must report on each CPU model (crosscheck prints it to stderr).
CPU_PATH = {"cortex-a72": "neon", "cortex-a76": "neon-dotprod", "max": "neon-i8mm"}

SHAPE = dict(hidden=768, layers=6, heads=12, kv_heads=4, head_dim=64, ffn=2048)
SEED = 20261206
TOKENIZER_SOURCE = REPO / "Tests" / "Fixtures" / "models" / "llama-q8_0.gguf"
PROMPT = (16, 48)     # P1, P2
GENERATED = (4, 20)   # G1, G2


def log(*a) -> None:
    print(*a, file=sys.stderr, flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    log("+", " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


# ---------------------------------------------------------------------------- build

def plugin_path() -> Path:
    return CACHE / "insn_count.so"


def build_plugin() -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    run(["cc", "-O2", "-shared", "-fPIC", "-Wall", "-o", plugin_path(), PLUGIN_SOURCE])


def llama_src() -> Path:
    return CACHE / SDIST.name.removesuffix(".tar.gz") / "vendor" / "llama.cpp"


def llama_build_dir(march: str) -> Path:
    return CACHE / f"llama-build-{march}"


def llama_driver(march: str) -> Path:
    return CACHE / f"llama_cost_driver-{march}"


def build_llama() -> None:
    if not llama_src().is_dir():
        with tarfile.open(SDIST) as t:
            t.extractall(CACHE)
    toolchain = CACHE / "toolchain-aarch64.cmake"
    toolchain.write_text(
        "set(CMAKE_SYSTEM_NAME Linux)\nset(CMAKE_SYSTEM_PROCESSOR aarch64)\n"
        "set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)\nset(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)\n"
        f"set(CMAKE_FIND_ROOT_PATH {SYSROOT})\nset(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)\n"
        "set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)\nset(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)\n")
    base = "armv8-a"  # libllama and ggml-base do not depend on the CPU: built once, here
    for march in CPU_MARCH.values():
        d = llama_build_dir(march)
        run(["cmake", "-S", llama_src(), "-B", d, f"-DCMAKE_TOOLCHAIN_FILE={toolchain}", "-DCMAKE_BUILD_TYPE=Release",
             "-DBUILD_SHARED_LIBS=OFF", "-DGGML_NATIVE=OFF", f"-DGGML_CPU_ARM_ARCH={march}", "-DGGML_OPENMP=OFF",
             "-DGGML_BACKEND_DL=OFF", "-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
             "-DLLAMA_BUILD_TOOLS=OFF", "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_BUILD_COMMON=OFF"],
            stdout=subprocess.DEVNULL)
        targets = ["llama"] if march == base else ["ggml-cpu"]
        run(["nice", "cmake", "--build", d, "--target", *targets, "-j", str(os.cpu_count() or 2)], stdout=subprocess.DEVNULL)
    b = llama_build_dir(base)
    for march in CPU_MARCH.values():
        d = llama_build_dir(march)
        run(["aarch64-linux-gnu-g++", "-O2", "-static", "-o", llama_driver(march), "-x", "c", DRIVER_SOURCE, "-x", "none",
             "-I", llama_src() / "include", "-I", llama_src() / "ggml" / "include",
             b / "src" / "libllama.a", b / "ggml" / "src" / "libggml.a", d / "ggml" / "src" / "libggml-cpu.a",
             b / "ggml" / "src" / "libggml-base.a", "-lpthread", "-lm"])


def model_path(qtype: str) -> Path:
    return CACHE / f"llama-768x6-{qtype}.gguf"


def build_models() -> None:
    import numpy as np
    import gguf

    src = gguf.GGUFReader(str(TOKENIZER_SOURCE))

    def field(name):
        return src.fields[name].contents()

    tokens = field("tokenizer.ggml.tokens")
    s = SHAPE
    rng = np.random.default_rng(SEED)
    q_rows, kv_rows = s["heads"] * s["head_dim"], s["kv_heads"] * s["head_dim"]
    # (name, rows, cols): one random matrix each, scaled so activations stay O(1).
    matrices = [("token_embd.weight", len(tokens), s["hidden"]), ("output.weight", len(tokens), s["hidden"])]
    for i in range(s["layers"]):
        matrices += [(f"blk.{i}.attn_q.weight", q_rows, s["hidden"]), (f"blk.{i}.attn_k.weight", kv_rows, s["hidden"]),
                     (f"blk.{i}.attn_v.weight", kv_rows, s["hidden"]), (f"blk.{i}.attn_output.weight", s["hidden"], q_rows),
                     (f"blk.{i}.ffn_gate.weight", s["ffn"], s["hidden"]), (f"blk.{i}.ffn_up.weight", s["ffn"], s["hidden"]),
                     (f"blk.{i}.ffn_down.weight", s["hidden"], s["ffn"])]
    weights = {name: (rng.standard_normal((rows, cols), dtype=np.float32) / np.sqrt(cols)).astype(np.float32)
               for name, rows, cols in matrices}
    for qtype, gtype in (("q8_0", gguf.GGMLQuantizationType.Q8_0), ("q4_0", gguf.GGMLQuantizationType.Q4_0)):
        w = gguf.GGUFWriter(str(model_path(qtype)), "llama")
        w.add_name(f"arm-cost-llama-768x6-{qtype}")
        w.add_block_count(s["layers"])
        w.add_context_length(256)
        w.add_embedding_length(s["hidden"])
        w.add_feed_forward_length(s["ffn"])
        w.add_head_count(s["heads"])
        w.add_head_count_kv(s["kv_heads"])
        w.add_rope_dimension_count(s["head_dim"])
        w.add_rope_freq_base(10000.0)
        w.add_layer_norm_rms_eps(1e-5)
        w.add_vocab_size(len(tokens))
        w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0 if qtype == "q8_0" else gguf.LlamaFileType.MOSTLY_Q4_0)
        w.add_tokenizer_model(field("tokenizer.ggml.model"))
        w.add_tokenizer_pre(field("tokenizer.ggml.pre"))
        w.add_token_list(tokens)
        w.add_token_types(field("tokenizer.ggml.token_type"))
        w.add_token_merges(field("tokenizer.ggml.merges"))
        w.add_bos_token_id(field("tokenizer.ggml.bos_token_id"))
        w.add_eos_token_id(field("tokenizer.ggml.eos_token_id"))
        w.add_add_bos_token(True)
        ones = np.ones(s["hidden"], dtype=np.float32)
        w.add_tensor("output_norm.weight", ones)
        for name, rows, cols in matrices:
            # The embedding stays Q8_0 in the Q4_0 file (a row lookup, not a matmul).
            t = gguf.GGMLQuantizationType.Q8_0 if name == "token_embd.weight" else gtype
            w.add_tensor(name, gguf.quants.quantize(weights[name], t), raw_dtype=t)
        for i in range(s["layers"]):
            w.add_tensor(f"blk.{i}.attn_norm.weight", ones)
            w.add_tensor(f"blk.{i}.ffn_norm.weight", ones)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        log(f"wrote {model_path(qtype)}")


def build_ours() -> None:
    run([REPO / "Toolchains" / "aarch64-cross-check.sh"], env={**os.environ, "XC_BUILD_ONLY": "1"}, stdout=subprocess.DEVNULL)


# ---------------------------------------------------------------------------- run

def count(cpu: str, argv: list, expect_path: str | None) -> int:
    """Guest instructions executed by argv under qemu-aarch64 -cpu cpu."""
    out = CACHE / "count.txt"
    out.unlink(missing_ok=True)
    p = subprocess.run(["qemu-aarch64", "-cpu", cpu, "-L", str(SYSROOT), "-plugin", f"{plugin_path()},outfile={out}",
                        *[str(a) for a in argv]], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {' '.join(map(str, argv))}\n{p.stderr[-2000:]}")
    if expect_path is not None and f"crosscheck: kernels {expect_path}" not in p.stderr.splitlines():
        raise SystemExit(f"-cpu {cpu}: expected our {expect_path} path, stderr says:\n{p.stderr[-500:]}")
    return int(out.read_text().split()[1])


def load_base(cpu: str, binary: Path) -> int:
    """Where qemu-user maps `binary` (a PIE is moved; a static non-PIE binary is not)."""
    p = subprocess.run(["qemu-aarch64", "-cpu", cpu, "-L", str(SYSROOT), "-d", "page", str(binary), "--help"],
                       capture_output=True, text=True)
    for line in p.stderr.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "r-x":
            start = int(parts[0].split("-")[0], 16)
            elf_type = subprocess.run(["readelf", "-h", str(binary)], capture_output=True, text=True).stdout
            return start if "DYN" in elf_type else 0
    return 0


def symbols(binary: Path) -> list[tuple[int, str]]:
    """(address, demangled name) of the binary's functions, sorted by address."""
    nm = subprocess.run(["aarch64-linux-gnu-nm", "--defined-only", str(binary)], capture_output=True, text=True).stdout
    raw = [(int(a, 16), n) for a, t, n in (line.split(maxsplit=2) for line in nm.splitlines() if len(line.split()) == 3)
           if t in "tTwW"]
    demangler = Path(os.environ.get("SWIFT_DEMANGLE", "/opt/swift/usr/bin/swift-demangle"))
    if demangler.exists():
        names = subprocess.run([str(demangler), "--simplified"], input="\n".join(n for _, n in raw), capture_output=True,
                               text=True).stdout.splitlines()
        if len(names) == len(raw):
            raw = [(a, n) for (a, _), n in zip(raw, names)]
    return sorted(raw)


def profile(cpu: str, argv_for, binary: Path, top: int) -> None:
    """Instructions per prefill and decode token by function (the same differences as the table)."""
    import bisect
    base, syms = load_base(cpu, binary), symbols(binary)
    starts = [a for a, _ in syms]

    def by_function(p: int, g: int) -> dict[str, int]:
        prof = CACHE / "profile.txt"
        subprocess.run(["qemu-aarch64", "-cpu", cpu, "-L", str(SYSROOT), "-plugin",
                        f"{plugin_path()},outfile={CACHE / 'count.txt'},profile={prof}", *[str(a) for a in argv_for(p, g)]],
                       check=True, capture_output=True)
        totals: dict[str, int] = {}
        for line in prof.read_text().splitlines():
            address, n = line.split()
            a = int(address, 16) - base
            i = bisect.bisect_right(starts, a) - 1
            name = syms[i][1] if i >= 0 and a - starts[i] < (1 << 20) else "(outside the binary: libc, ld.so)"
            totals[name] = totals.get(name, 0) + int(n)
        return totals

    (p1, p2), (g1, g2) = PROMPT, GENERATED
    a, b, c = by_function(p1, g1), by_function(p2, g1), by_function(p1, g2)
    for label, other, steps in (("prefill", b, p2 - p1), ("decode", c, g2 - g1)):
        diff = {k: (other.get(k, 0) - a.get(k, 0)) / steps for k in set(a) | set(other)}
        total = sum(diff.values())
        print(f"{label}: {total / 1e6:.2f} M instructions per token")
        for name, n in sorted(diff.items(), key=lambda kv: -kv[1])[:top]:
            print(f"  {n / 1e6:8.3f} M  {100 * n / total:5.1f}%  {name[:150]}")


def per_token(cpu: str, argv_for, expect_path: str | None) -> tuple[float, float]:
    (p1, p2), (g1, g2) = PROMPT, GENERATED
    a = count(cpu, argv_for(p1, g1), expect_path)
    b = count(cpu, argv_for(p2, g1), expect_path)
    c = count(cpu, argv_for(p1, g2), expect_path)
    return (b - a) / (p2 - p1), (c - a) / (g2 - g1)


def run_table(cpus: list[str], types: list[str]) -> None:
    rows = []
    for qtype in types:
        model = model_path(qtype)
        for cpu in cpus:
            march = CPU_MARCH[cpu]
            ours = per_token(cpu, lambda p, g: [OURS, model, "--backend", "neon", "--cost", p, g], CPU_PATH[cpu])
            theirs = per_token(cpu, lambda p, g: [llama_driver(march), model, p, g], None)
            row = (qtype, cpu, CPU_PATH[cpu], march, ours, theirs)
            log(row)
            rows.append(row)
    print("| type | qemu -cpu | our path | llama.cpp -march | prefill: ours | llama.cpp | ratio | decode: ours | llama.cpp | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for qtype, cpu, path, march, (op, od), (lp, ld) in rows:
        print(f"| {qtype} | {cpu} | {path} | {march} | {op / 1e6:.2f} M | {lp / 1e6:.2f} M | {op / lp:.2f}× "
              f"| {od / 1e6:.2f} M | {ld / 1e6:.2f} M | {od / ld:.2f}× |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="plugin, our aarch64 binary, llama.cpp cross builds, model files")
    b.add_argument("--skip-llama", action="store_true", help="keep the llama.cpp builds already in the cache")
    r = sub.add_parser("run", help="count and print the table")
    r.add_argument("--cpus", default=",".join(CPU_MARCH), help="qemu CPU models (comma-separated)")
    r.add_argument("--types", default="q8_0,q4_0", help="weight types (comma-separated)")
    f = sub.add_parser("profile", help="per-function instructions per token for one CPU model and runtime")
    f.add_argument("--cpu", default="cortex-a76", choices=list(CPU_MARCH))
    f.add_argument("--type", default="q8_0")
    f.add_argument("--runtime", default="ours", choices=["ours", "llama.cpp"])
    f.add_argument("--top", type=int, default=15)
    args = ap.parse_args()
    if args.cmd == "build":
        build_plugin()
        build_ours()
        build_models()
        if not args.skip_llama:
            build_llama()
    elif args.cmd == "profile":
        model = model_path(args.type)
        if args.runtime == "ours":
            profile(args.cpu, lambda p, g: [OURS, model, "--backend", "neon", "--cost", p, g], OURS, args.top)
        else:
            driver = llama_driver(CPU_MARCH[args.cpu])
            profile(args.cpu, lambda p, g: [driver, model, p, g], driver, args.top)
    else:
        run_table(args.cpus.split(","), args.types.split(","))


if __name__ == "__main__":
    main()
