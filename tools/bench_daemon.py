#!/usr/bin/env python3
"""Throughput and latency of autoglmd's two engines, measured in one run, alternating.

Starts one daemon per engine (batched, single) on the bundled model and, in alternating
rounds, sends the same load to each: CLIENTS concurrent /v1/completions requests of
MAX_TOKENS tokens (greedy, no early stop). Reports per engine the median over rounds of
the wall time of a round, generated tokens per second and time to first token, and the
batched/single ratios (the figure that stays meaningful on a shared machine).

Usage: python3 tools/bench_daemon.py [--binary .build/release/autoglmd] [--rounds 3]
                                     [--clients 8] [--max-tokens 32] [--threads 1]
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("autoglm", timeout=600)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def start(binary, engine, threads, clients):
    d = tempfile.mkdtemp(prefix=f"bench-{engine}-")
    path = os.path.join(d, "s.sock")
    proc = subprocess.Popen([binary, "--socket", path, "--engine", engine, "--batch", str(clients), "--sessions", "1",
                             "--threads", str(threads), "--context", "512", "--queue-capacity", str(clients * 2)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            c = UnixHTTPConnection(path)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return proc, path
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{engine} daemon did not start")


def one_request(path, i, max_tokens, out):
    body = json.dumps({"prompt": f"And it came to pass in the {i} day", "max_tokens": max_tokens, "temperature": 0,
                       "stream": True, "stop": ["\u2603"]})
    start = time.time()
    c = UnixHTTPConnection(path)
    c.request("POST", "/v1/completions", body=body)
    r = c.getresponse()
    first = None
    while True:
        line = r.readline()
        if not line:
            break
        if line.startswith(b"data: ") and first is None:
            first = time.time() - start
    out.append(first)


def round_trip(path, clients, max_tokens):
    firsts = []
    threads = [threading.Thread(target=one_request, args=(path, i, max_tokens, firsts)) for i in range(clients)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.time() - start, statistics.median(firsts)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", default=os.path.join(ROOT, ".build/release/autoglmd"))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--max-tokens", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    daemons = {e: start(a.binary, e, a.threads, a.clients) for e in ("batched", "single")}
    results = {e: [] for e in daemons}
    try:
        for e, (_, path) in daemons.items():  # warm-up (page-in, cost model)
            round_trip(path, a.clients, 4)
        for _ in range(a.rounds):
            for e, (_, path) in daemons.items():
                results[e].append(round_trip(path, a.clients, a.max_tokens))
    finally:
        for proc, _ in daemons.values():
            proc.terminate()
            proc.wait()
    tokens = a.clients * a.max_tokens
    summary = {}
    for e, rounds in results.items():
        wall = statistics.median(w for w, _ in rounds)
        ttft = statistics.median(f for _, f in rounds)
        summary[e] = (wall, ttft)
        print(f"{e:8s} {a.clients} clients x {a.max_tokens} tokens: round {wall:.2f} s, "
              f"{tokens / wall:.0f} tok/s, median TTFT {ttft * 1000:.0f} ms")
    print(f"batched/single: throughput x{summary['single'][0] / summary['batched'][0]:.2f}, "
          f"median TTFT x{summary['batched'][1] / summary['single'][1]:.2f}")


if __name__ == "__main__":
    main()
