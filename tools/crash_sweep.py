#!/usr/bin/env python3
"""Crash-point sweep and corruption check for checkpointed sessions (issue 7).

Sweep: a seeded generation with the bundled model is killed with SIGKILL at many
different moments (before the first token, then after each number of received tokens,
some with a little extra delay so the kill lands inside a checkpoint write). After each
kill the same command is started again with --resume-from <tokens received>; what the
client received plus what the restarted process sends must equal, token for token, the
uninterrupted output of `autoglm generate`. Every fifth run is killed a second time
during the resume.

Corruption: a finished session's checkpoint is damaged in several ways (flipped byte in
the metadata, flipped byte in the KV pages, truncation, another format version, written
for another KV type). Each must be detected — the file moved to quarantine/ with the
right kind, or for damaged pages the session rebuilt from its tokens — and the output
must still equal the uninterrupted one; the process must never crash.

Usage: tools/crash_sweep.py [--autoglm .build/release/autoglm] [--runs 64]
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import json
import re

from checkpoint_damage import damaged_copies

MAX_TOKENS = 64
COMMON = ["--prompt", "And God said unto Moses", "--max-tokens", str(MAX_TOKENS),
          "--temperature", "0.8", "--top-k", "40", "--top-p", "0.95", "--seed", "20261122",
          "--context", "256", "--backend", "emulation"]


def session_cmd(autoglm, d, extra=()):
    return [autoglm, "session", "--dir", d, "--session", "sweep", "--token-ids",
            "--checkpoint-every", "4"] + COMMON + list(extra)


def run_to_end(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    return [int(x) for x in p.stdout.split()], p.stderr


def killed_run(cmd, after_tokens, extra_delay):
    """Starts cmd, reads token lines until `after_tokens` arrived (0: none), waits
    `extra_delay` s, SIGKILLs it. Returns the tokens the client had received."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
    got = []
    if after_tokens == 0:
        time.sleep(extra_delay)
    else:
        while len(got) < after_tokens:
            line = p.stdout.readline()
            if not line:
                break
            got.append(int(line))
        time.sleep(extra_delay)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    # Lines already in the pipe were delivered to the client too.
    rest = p.stdout.read()
    got += [int(x) for x in rest.split()]
    return got, p.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--autoglm", default=".build/release/autoglm")
    ap.add_argument("--runs", type=int, default=64)
    args = ap.parse_args()
    autoglm = os.path.abspath(args.autoglm)
    work = tempfile.mkdtemp(prefix="autoglm-sweep-")
    try:
        ref = subprocess.run([autoglm, "generate", "--json"] + COMMON, capture_output=True, text=True, check=True)
        reference = json.loads(ref.stdout)["tokens"]
        assert len(reference) >= 51, f"reference too short for 50 moments: {len(reference)}"
        uninterrupted, _ = run_to_end(session_cmd(autoglm, os.path.join(work, "plain")))
        if uninterrupted != reference:
            sys.exit(f"FAIL: session without a crash differs from generate:\n{uninterrupted}\n{reference}")

        moments = set()
        killed = 0
        resumed_at = []   # tokens already generated in the checkpoint each restart found
        t0 = time.time()
        for i in range(args.runs):
            d = os.path.join(work, f"run{i}")
            after = i % (len(reference))              # 0 … 63 tokens received before the kill
            delay = (i * 0.0037) % 0.02 if after else 0.05 + 0.01 * i % 0.3
            got, rc = killed_run(session_cmd(autoglm, d), after, delay)
            killed += rc == -signal.SIGKILL
            if i % 5 == 4 and len(got) < len(reference):
                # A second crash, during the resume.
                more, _ = killed_run(session_cmd(autoglm, d, ["--resume-from", str(len(got))]), 1, 0.003)
                got += more
            rest, err = run_to_end(session_cmd(autoglm, d, ["--resume-from", str(len(got)), "--verbose"]))
            m = re.search(r"resumed sweep: (\d+) tokens generated", err)
            resumed_at.append(int(m.group(1)) if m else None)
            combined = got + rest
            if combined != reference:
                sys.exit(f"FAIL run {i}: killed after {len(got)} tokens; resumed output differs\n"
                         f"got      {combined}\nexpected {reference}")
            moments.add((after, round(delay, 4)))
        from_checkpoint = [r for r in resumed_at if r is not None]
        print(f"crash sweep: {args.runs} runs, {killed} killed by SIGKILL mid-run, at {len(moments)} distinct moments; "
              f"{len(from_checkpoint)} restarts resumed from a checkpoint ({len(set(from_checkpoint))} distinct "
              f"token counts), "
              f"{len(resumed_at) - len(from_checkpoint)} found none and started over; every resumed output equals "
              f"the uninterrupted one ({time.time() - t0:.1f} s)")
        if len(moments) < 50:
            sys.exit("FAIL: fewer than 50 distinct crash moments")

        corruption_checks(autoglm, work, reference)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def corruption_checks(autoglm, work, reference):
    base = os.path.join(work, "corrupt-base")
    run_to_end(session_cmd(autoglm, base, ["--max-tokens", "20"]))  # a session mid-answer: 20 of 64
    good = open(os.path.join(base, "sweep.ckpt"), "rb").read()
    variants = damaged_copies(good)
    # Written under another KV type: a mismatch, not damage.
    f16 = os.path.join(work, "corrupt-f16")
    run_to_end(session_cmd(autoglm, f16, ["--max-tokens", "20", "--kv-type", "f16"]))
    variants.append(("written for kv-type f16", open(os.path.join(f16, "sweep.ckpt"), "rb").read(), "mismatch"))
    for name, data, kind in variants:
        d = os.path.join(work, "corrupt-" + name.replace(" ", "-"))
        os.makedirs(d)
        with open(os.path.join(d, "sweep.ckpt"), "wb") as f:
            f.write(data)
        # The checkpoint said 20 tokens were generated of a 20-token request: a client
        # that received them all asks for the rest of the 64-token answer from 0.
        out, err = run_to_end(session_cmd(autoglm, d))
        quarantined = os.listdir(os.path.join(d, "quarantine"))
        if kind is not None:
            if quarantined != [f"sweep.ckpt.{kind}"]:
                sys.exit(f"FAIL corruption '{name}': quarantine holds {quarantined}, expected sweep.ckpt.{kind}\n{err}")
            if "quarantined" not in err:
                sys.exit(f"FAIL corruption '{name}': no log line\n{err}")
            # Lost: started again from the prompt, which gives the full reference answer.
            if out != reference:
                sys.exit(f"FAIL corruption '{name}': output after recovery differs")
        else:
            if "rebuilding the session from its" not in err or len(quarantined) != 1:
                sys.exit(f"FAIL corruption '{name}': pages damage not reported/quarantined: {quarantined}\n{err}")
            # Rebuilt from its tokens: the finished 20-token answer, exactly.
            if out != reference[:20]:
                sys.exit(f"FAIL corruption '{name}': rebuilt session differs: {out} vs {reference[:20]}")
        print(f"corruption: {name:28s} detected ({'quarantined as ' + kind if kind else 'pages quarantined, rebuilt from tokens'})")


if __name__ == "__main__":
    main()
