#!/usr/bin/env python3
"""A/B of two autoglm builds on one model: decode and prefill tokens/s, alternating.

For kernel and thread-pool changes, where only a same-run ratio means anything on the
shared machine (see tools/compare_kernels.py): the two binaries run `autoglm bench` in
turn (A B A B …), each with its own untimed warm-up, with the 2-thread read bandwidth
measured before every round. Prints each round and the medians with B/A ratios.

`--idle-daemons A B` also measures a started-but-idle daemon of each build: CPU seconds
(utime + stime from /proc/PID/stat) consumed during `--idle-seconds` once it is ready.

    python3 tools/ab_kernels.py --a /tmp/base/autoglm --b .build/release/autoglm \\
        --model ~/.cache/autoglm-bench/llama-1b-shape-q8_0.gguf --rounds 4 --threads 2
    python3 tools/ab_kernels.py --idle-daemons /tmp/base/autoglmd .build/release/autoglmd --threads 2
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_kernels import bandwidth_probe  # noqa: E402


def bench(binary: str, args, extra: list[str]) -> dict:
    cmd = [binary, "bench", "--model", args.model, "--prompt-tokens", str(args.prompt_tokens),
           "--gen-tokens", str(args.gen_tokens), "--repetitions", str(args.inner), "--threads", str(args.threads),
           "--json"] + extra
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {r.stderr}")
    j = json.loads(r.stdout)
    return {"pp": j["prefill_tokens_per_second"]["median"], "tg": j["decode_tokens_per_second"]["median"]}


def run_ab(args) -> None:
    extra_a = args.a_args.split() if args.a_args else []
    extra_b = args.b_args.split() if args.b_args else []
    rows = {"A": [], "B": []}
    for r in range(args.rounds):
        bw = bandwidth_probe(args.threads)
        load = os.getloadavg()[0]
        order = [("A", args.a, extra_a), ("B", args.b, extra_b)]
        if r % 2 == 1:
            order.reverse()  # neither side always runs first
        line = f"round {r + 1}: read {bw['best_gbps']:.1f} GB/s, load {load:.1f}"
        for name, binary, extra in order:
            res = bench(binary, args, extra)
            rows[name].append(res)
            line += f" | {name} pp {res['pp']:.1f} tg {res['tg']:.2f}"
        print(line, flush=True)
    print()
    for key, label in (("pp", f"prefill pp{args.prompt_tokens} tok/s"), ("tg", f"decode tg{args.gen_tokens} tok/s")):
        a = statistics.median(x[key] for x in rows["A"])
        b = statistics.median(x[key] for x in rows["B"])
        print(f"{label:>24}: A {a:8.2f}  B {b:8.2f}  B/A {b / a:.3f}")


def wait_ready(sock_path: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"daemon exited with {proc.returncode}")
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock_path)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = s.recv(4096)
            s.close()
            if b"ready" in data:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("daemon did not become ready")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def idle_daemon(binary: str, args) -> float:
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "a.sock")
        cmd = [binary, "--socket", sock, "--threads", str(args.threads)] + (["--model", args.model] if args.model else [])
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(sock, proc)
            time.sleep(1)  # let start-up work settle
            before = cpu_seconds(proc.pid)
            time.sleep(args.idle_seconds)
            return cpu_seconds(proc.pid) - before
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def run_idle(args) -> None:
    a, b = args.idle_daemons
    for r in range(args.rounds):
        order = [("A", a), ("B", b)] if r % 2 == 0 else [("B", b), ("A", a)]
        line = f"round {r + 1}: idle {args.idle_seconds:g} s, threads {args.threads}"
        for name, binary in order:
            line += f" | {name} {idle_daemon(binary, args):.2f} CPU s"
        print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", help="baseline autoglm binary")
    ap.add_argument("--b", help="changed autoglm binary")
    ap.add_argument("--a-args", default="", help="extra bench arguments for A")
    ap.add_argument("--b-args", default="", help="extra bench arguments for B")
    ap.add_argument("--model", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--gen-tokens", type=int, default=32)
    ap.add_argument("--inner", type=int, default=1, help="timed repetitions inside each process")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--idle-daemons", nargs=2, metavar=("A", "B"), help="autoglmd binaries: measure idle CPU instead")
    ap.add_argument("--idle-seconds", type=float, default=5)
    args = ap.parse_args()
    if args.idle_daemons:
        run_idle(args)
    else:
        if not (args.a and args.b and args.model):
            ap.error("--a, --b and --model are required")
        run_ab(args)


if __name__ == "__main__":
    main()
