#!/usr/bin/env python3
"""Crash-point sweep and checkpoint corruption against the daemon (issue 7).

Sweep: autoglmd (bundled model, emulation backend, checkpoints in a temporary
directory) serves a session; a client sends a seeded streamed chat completion
(temperature 0.8, top-k 40, top-p 0.95, 64 tokens, token ids in the chunks) and the
daemon is killed with SIGKILL at many different moments: before the first token, after
k received tokens for every k, with small extra delays so that some kills land inside a
checkpoint write. The daemon is started again on the same directory and the client
reconnects with POST /v1/sessions/{id}/resume {"last_token_index": last received}; what
it received before the kill plus what the resume sends must equal, token for token, the
uninterrupted output. Every fifth run is killed a second time during the resume.

When the kill came before any checkpoint of the request reached the disk, the resume
answers 409 nothing_to_resume and the client sends its request again (same seed), which
must give the same tokens; such runs are counted apart.

Corruption: an interrupted session's checkpoint is damaged (flipped byte in the metadata,
flipped byte in the KV pages, truncation, another format version) or read by a daemon
with another KV type (fingerprint mismatch). Each must be quarantined with a log line
and a count in autoglm_checkpoints_quarantined_total; a session whose metadata is gone
answers 410 session_lost, one whose pages alone are damaged is rebuilt from its tokens
and resumes to the uninterrupted output; the daemon never crashes.

Usage: tools/daemon_crash_sweep.py [--binary .build/release/autoglmd] [--runs 64]
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from checkpoint_damage import damaged_copies

MAX_TOKENS = 64
EVERY = 4   # checkpoint interval of the sweep: more checkpoints, more kills inside a write
REQUEST = {"messages": [{"role": "user", "content": "And God said unto Moses"}], "max_tokens": MAX_TOKENS,
           "temperature": 0.8, "top_k": 40, "top_p": 0.95, "seed": 20261122, "stream": True,
           "return_token_ids": True}
START_TIMEOUT_S = 60


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=120):
        super().__init__("autoglm", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class Daemon:
    def __init__(self, binary, work, ckpt_dir, *extra, name="d", backend="emulation", context=256, every=EVERY,
                 checkpoints=True):
        self.socket = os.path.join(work, name + ".sock")
        self.log_path = os.path.join(work, name + "-log.txt")
        log = open(self.log_path, "a")
        args = [binary, "--socket", self.socket, "--backend", backend, "--context", str(context), "--log-level", "info"]
        if checkpoints:
            args += ["--checkpoint-dir", ckpt_dir, "--checkpoint-every-tokens", str(every)]
        self.proc = subprocess.Popen(args + list(extra), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + START_TIMEOUT_S
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"FAIL: autoglmd exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if self.request("GET", "/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        sys.exit("FAIL: autoglmd did not become ready")

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def connection(self):
        return UnixHTTPConnection(self.socket)

    def request(self, method, path, body=None):
        conn = self.connection()
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None)
            r = conn.getresponse()
            data = r.read()
            try:
                return r.status, json.loads(data) if data else None
            except ValueError:
                return r.status, data.decode()
        finally:
            conn.close()

    def metric(self, name):
        status, text = self.request("GET", "/metrics")
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        if self.proc.wait(timeout=60) != 0:
            sys.exit(f"FAIL: autoglmd exited with {self.proc.returncode} on SIGTERM:\n{self.output()}")


class Stream:
    """A streamed response read chunk by chunk: token ids, then the end."""

    def __init__(self, daemon, path, body):
        self.conn = daemon.connection()
        self.conn.request("POST", path, body=json.dumps(body))
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.ids = []
        self.done = False
        self.error = None
        if self.status != 200:
            self.error = json.loads(self.resp.read() or b"{}")
            self.done = True

    def next_event(self):
        """Reads one SSE event; False at the end of the stream (or the connection)."""
        while not self.done:
            try:
                line = self.resp.fp.readline()
            except OSError:
                line = b""
            if not line:
                self.done = True
                return False
            line = line.strip()
            if not line.startswith(b"data: "):
                continue
            data = line[6:]
            if data == b"[DONE]":
                self.done = True
                return False
            event = json.loads(data)
            if "error" in event:
                self.error = event
                self.done = True
                return False
            for choice in event.get("choices", []):
                if "token_id" in choice:
                    self.ids.append(choice["token_id"])
            return True
        return False

    def read_until(self, count):
        while len(self.ids) < count and self.next_event():
            pass

    def read_all(self):
        while self.next_event():
            pass
        self.conn.close()
        return self.ids


def chat(daemon, session, **extra):
    s = Stream(daemon, "/v1/chat/completions", {**REQUEST, "session_id": session, **extra})
    if s.status != 200:
        sys.exit(f"FAIL: chat completion answered {s.status}: {s.error}")
    return s


def resume(daemon, session, last_index):
    return Stream(daemon, f"/v1/sessions/{session}/resume", {"last_token_index": last_index, "stream": True})


def new_session(daemon):
    status, body = daemon.request("POST", "/v1/sessions")
    if status != 201:
        sys.exit(f"FAIL: POST /v1/sessions answered {status}: {body}")
    return body["id"]


def kill_during(daemon, stream, after_tokens, delay):
    """Reads until `after_tokens` ids arrived, waits `delay` s, kills the daemon, and
    returns every id the client received (chunks already in the socket included)."""
    stream.read_until(after_tokens)
    time.sleep(delay)
    daemon.kill()
    return stream.read_all()


def rest_after_restart(binary, work, d, session, got, reference, stats, crash_again=False):
    """Restarts, resumes from len(got); returns the ids the client ends up with."""
    daemon = Daemon(binary, work, d)
    s = resume(daemon, session, len(got) - 1)
    if s.status == 409 and s.error["error"]["code"] == "nothing_to_resume":
        # The request never reached the disk: send it again (same seed, same tokens).
        stats["resent"] += 1
        again = chat(daemon, session).read_all()
        if again[:len(got)] != got:
            sys.exit(f"FAIL: re-sent request differs from what was received: {again} vs {got}")
        daemon.stop()
        return again
    if s.status != 200:
        sys.exit(f"FAIL: resume answered {s.status}: {s.error}\n{daemon.output()[-3000:]}")
    if crash_again and len(got) + 1 < len(reference):
        more = kill_during(daemon, s, 1, 0.002)
        stats["second_kills"] += 1
        return rest_after_restart(binary, work, d, session, got + more, reference, stats)
    rest = s.read_all()
    if s.error:
        sys.exit(f"FAIL: resume stream ended with {s.error}")
    # Positions whose KV came from the checkpoint's pages (through the prefix cache).
    if daemon.metric("autoglm_prefix_cached_tokens_total") > 0:
        stats["pages_reused"] += 1
    daemon.stop()
    return got + rest


def sweep(binary, work, runs):
    base = os.path.join(work, "reference")
    daemon = Daemon(binary, work, base)
    reference = chat(daemon, new_session(daemon)).read_all()
    # The same request without a session and without checkpoints gives the same tokens.
    plain = Stream(daemon, "/v1/chat/completions", REQUEST).read_all()
    daemon.stop()
    if plain != reference:
        sys.exit(f"FAIL: a checkpointed session's output differs from a plain request's:\n{reference}\n{plain}")
    if len(reference) < 51:
        sys.exit(f"FAIL: reference too short for 50 crash moments: {len(reference)} tokens")

    stats = {"resent": 0, "second_kills": 0, "pages_reused": 0}
    moments = set()
    t0 = time.time()
    for i in range(runs):
        d = os.path.join(work, f"run{i}")
        daemon = Daemon(binary, work, d)
        session = new_session(daemon)
        after = i % len(reference)                      # tokens received before the kill
        delay = (i * 0.0037) % 0.02 if after else (0.0 if i == 0 else 0.002 * (i % 7))
        got = kill_during(daemon, chat(daemon, session), after, delay)
        combined = rest_after_restart(binary, work, d, session, got, reference, stats, crash_again=(i % 5 == 4))
        if combined != reference:
            sys.exit(f"FAIL run {i}: killed after {len(got)} tokens; resumed output differs\n"
                     f"got      {combined}\nexpected {reference}")
        moments.add((after, round(delay, 4)))
        shutil.rmtree(d, ignore_errors=True)
    print(f"daemon crash sweep: {runs} runs killed with SIGKILL at {len(moments)} distinct moments "
          f"(0…{len(reference) - 1} tokens received, extra delays 0–20 ms), {stats['second_kills']} killed again during "
          f"the resume; {runs - stats['resent']} resumed from a checkpoint, {stats['resent']} had nothing on disk yet and "
          f"were sent again; {stats['pages_reused']} resumes took KV from the checkpoint's pages; every output equals the "
          f"uninterrupted one ({time.time() - t0:.1f} s)")
    if len(moments) < 50:
        sys.exit("FAIL: fewer than 50 distinct crash moments")
    return reference


def corruption(binary, work, reference):
    # A session interrupted after 40 tokens: its checkpoint has KV pages.
    base = os.path.join(work, "corrupt-base")
    daemon = Daemon(binary, work, base)
    session = new_session(daemon)
    got = kill_during(daemon, chat(daemon, session), 40, 0.05)
    files = [f for f in os.listdir(base) if f.endswith(".ckpt")]
    assert len(files) == 1, files
    name = files[0]
    good = open(os.path.join(base, name), "rb").read()

    variants = [(label, data, kind, []) for label, data, kind in damaged_copies(good)]
    variants.append(("read with kv-type f16", good, "mismatch", ["--kv-type", "f16"]))

    for label, data, kind, extra in variants:
        d = os.path.join(work, "corrupt-" + label.replace(" ", "-"))
        os.makedirs(d)
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        daemon = Daemon(binary, work, d, *extra)
        s = resume(daemon, session, len(got) - 1)
        if kind is not None:
            if s.status != 410 or s.error["error"]["code"] != "session_lost":
                sys.exit(f"FAIL corruption '{label}': resume answered {s.status} {s.error}, expected 410 session_lost")
            status, _ = daemon.request("GET", f"/v1/sessions/{session}")
            if status != 410:
                sys.exit(f"FAIL corruption '{label}': GET session answered {status}, expected 410")
            expected = [f"{name}.{kind}"]
        else:
            rest = s.read_all()
            if s.status != 200 or got + rest != reference:
                sys.exit(f"FAIL corruption '{label}': rebuilt session's resume differs ({s.status} {s.error})")
            expected = [f"{name}.damaged"]
        daemon.request("GET", "/health")  # the writer quarantines page damage on its thread
        time.sleep(0.2)
        quarantined = sorted(os.listdir(os.path.join(d, "quarantine")))
        count = daemon.metric("autoglm_checkpoints_quarantined_total")
        if daemon.request("GET", "/health")[0] != 200:
            sys.exit(f"FAIL corruption '{label}': daemon not healthy afterwards")
        daemon.stop()
        log = daemon.output()
        if quarantined != expected:
            sys.exit(f"FAIL corruption '{label}': quarantine holds {quarantined}, expected {expected}\n{log[-3000:]}")
        if count != 1:
            sys.exit(f"FAIL corruption '{label}': autoglm_checkpoints_quarantined_total = {count}, expected 1")
        if "quarantined" not in log and "pages unusable" not in log:
            sys.exit(f"FAIL corruption '{label}': no log line\n{log[-3000:]}")
        outcome = "session lost (410), file quarantined as " + kind if kind else \
            "pages quarantined, session rebuilt from its tokens, resume exact"
        print(f"daemon corruption: {label:26s} detected: {outcome}; metric 1; daemon alive")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/autoglmd")
    ap.add_argument("--runs", type=int, default=64)
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="autoglmd-sweep-")
    try:
        reference = sweep(binary, work, args.runs)
        corruption(binary, work, reference)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
