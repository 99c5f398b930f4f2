#!/usr/bin/env python3
"""Costs of session checkpoints in autoglmd (issue 7), for BENCHMARKS.md.

1. Decode cost: two daemons on the same model and backend, A with checkpoints at the
   default interval (every 16 generated tokens), B without; the same seeded request in a
   fresh session goes to A, B, A, B, … (one at a time, so they never share the CPU).
   Decode time = client-side time from the first to the last token chunk. Prints the
   median per daemon and their ratio, and the largest gap between two tokens (a stall
   from a checkpoint write would show there).
2. Start-up with sessions on disk: 100 sessions, each with one ended 8-token turn, are
   written by a daemon that is then stopped; the time from spawning the daemon to its
   /health answering 200 is measured alternately on that directory and on an empty one.

Usage: tools/daemon_checkpoint_bench.py [--binary .build/release/autoglmd] [--rounds 8]
"""
import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_crash_sweep import Daemon, Stream, new_session  # noqa: E402

REQUEST = {"messages": [{"role": "user", "content": "And God said unto Moses"}], "max_tokens": 192,
           "temperature": 0.8, "top_k": 40, "seed": 11, "stream": True, "return_token_ids": True}


def timed_stream(daemon, body):
    s = Stream(daemon, "/v1/chat/completions", body)
    times = []
    while s.next_event():
        if len(times) < len(s.ids):
            times.append(time.perf_counter())
    s.conn.close()
    gaps = [b - a for a, b in zip(times, times[1:])]
    return s.ids, times[-1] - times[0], max(gaps)


def decode_cost(binary, work, rounds, backend):
    limits = ["--sessions", "64", "--sessions-per-uid", "64"]
    a = Daemon(binary, work, os.path.join(work, "a"), *limits, name="a", backend=backend, context=512, every=16)
    b = Daemon(binary, work, os.path.join(work, "b"), *limits, name="b", backend=backend, context=512, checkpoints=False)
    results = {"A": [], "B": []}
    gaps = {"A": [], "B": []}
    reference = None
    for r in range(rounds + 1):
        for name, d in (("A", a), ("B", b)) if r % 2 == 0 else (("B", b), ("A", a)):
            ids, seconds, gap = timed_stream(d, {**REQUEST, "session_id": new_session(d)})
            if reference is None:
                reference = ids
            assert ids == reference, "checkpointing changed the tokens"
            if r > 0:  # round 0 warms up
                results[name].append(seconds / (len(ids) - 1))
                gaps[name].append(gap)
    writes = a.metric("autoglm_checkpoint_writes_total")
    a.stop()
    b.stop()
    line = [x for x in a.output().splitlines() if "checkpoints flushed" in x][-1]
    stat = {k: int(re.search(k + r"=(\d+)", line).group(1)) for k in ("captures", "capture_us", "write_us", "bytes")}
    decoded = (rounds + 1) * len(reference)
    ma, mb = statistics.median(results["A"]), statistics.median(results["B"])
    print(f"decode, {len(reference)} tokens per request, {rounds} rounds A/B alternating, backend {backend}:")
    print(f"  A checkpoints every 16 tokens: median {ma * 1e3:.3f} ms/token, largest token gap {max(gaps['A']) * 1e3:.2f} ms"
          f" ({writes:.0f} checkpoint writes)")
    print(f"  B no checkpoints:              median {mb * 1e3:.3f} ms/token, largest token gap {max(gaps['B']) * 1e3:.2f} ms")
    print(f"  ratio A/B = {ma / mb:.4f}")
    print(f"  A's engine thread copied pages for {stat['capture_us'] / 1e3:.1f} ms over {stat['captures']} captures "
          f"({stat['capture_us'] / stat['captures']:.0f} µs each, {stat['capture_us'] / decoded:.1f} µs per generated token); "
          f"the writer thread spent {stat['write_us'] / 1e3:.1f} ms on {stat['bytes'] / 1e6:.1f} MB")


def startup(binary, work, rounds, sessions):
    full = os.path.join(work, "full")
    d = Daemon(binary, work, full, "--sessions", str(sessions), "--sessions-per-uid", str(sessions), every=16)
    for _ in range(sessions):
        body = {**REQUEST, "max_tokens": 8, "stream": False, "session_id": new_session(d)}
        status, answer = d.request("POST", "/v1/chat/completions", body)
        assert status == 200, answer
    d.stop()
    files = [f for f in os.listdir(full) if f.endswith(".ckpt")]
    size = sum(os.path.getsize(os.path.join(full, f)) for f in files)
    times = {"full": [], "empty": []}
    for r in range(rounds):
        for name in ("full", "empty") if r % 2 == 0 else ("empty", "full"):
            directory = full if name == "full" else os.path.join(work, f"empty{r}")
            t0 = time.perf_counter()
            d = Daemon(binary, work, directory, "--sessions", str(sessions), "--sessions-per-uid", str(sessions), every=16)
            times[name].append(time.perf_counter() - t0)
            if name == "full":
                recovered = d.metric("autoglm_sessions_recovered")
                assert recovered == sessions, f"recovered {recovered} of {sessions}"
            d.stop()
    print(f"start-up to READY (spawn → /health 200), {rounds} rounds alternating, {len(files)} checkpoint files "
          f"({size / 1e6:.1f} MB):")
    print(f"  {sessions} sessions on disk: median {statistics.median(times['full']) * 1e3:.0f} ms, "
          f"max {max(times['full']) * 1e3:.0f} ms")
    print(f"  empty directory:   median {statistics.median(times['empty']) * 1e3:.0f} ms, "
          f"max {max(times['empty']) * 1e3:.0f} ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/autoglmd")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--backend", default="emulation")
    ap.add_argument("--sessions", type=int, default=100)
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="autoglmd-ckpt-bench-")
    try:
        decode_cost(binary, work, args.rounds, args.backend)
        startup(binary, work, args.rounds, args.sessions)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
