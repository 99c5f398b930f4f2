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

Hostile disks and directories: a full tmpfs (ENOSPC) and a read-only remount (EROFS) get
507 for a new session and `durable: false` for a running one, retried when the disk comes
back; as uid 65534 (setpriv) the checkpoint files cannot be read nor the sessions seen
over the API; a FIFO or symlink named *.ckpt and a file named quarantine do not stop
start-up. Mount cases need root (tmpfs); without it they are skipped with a message.

Usage: tools/daemon_crash_sweep.py [--binary .build/release/autoglmd] [--runs 64] [--only-hostile]
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

from checkpoint_damage import damaged_copies, generation_state

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
    # A session interrupted mid-answer: its checkpoint has KV pages and is not finished, so
    # the resume must read the pages. On a fast machine the tiny model can end its answer
    # between the 40th token and the kill, so the file is checked and the kill comes
    # earlier until it lands mid-answer.
    for attempt, after in enumerate([40, 32, 24, 20, 18]):
        base = os.path.join(work, f"corrupt-base-{attempt}")
        daemon = Daemon(binary, work, base)
        session = new_session(daemon)
        got = kill_during(daemon, chat(daemon, session), after, 0.0)
        files = [f for f in os.listdir(base) if f.endswith(".ckpt")]
        assert len(files) == 1, files
        name = files[0]
        good = open(os.path.join(base, name), "rb").read()
        kv_positions, finished = generation_state(good)
        if kv_positions > 0 and not finished:
            break
        print(f"daemon corruption: the kill after {after} tokens found the checkpoint "
              f"{'finished' if finished else 'without KV pages'}; killing earlier")
    else:
        sys.exit("FAIL corruption: no kill left an unfinished checkpoint with KV pages")

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


# --- hostile disks and directories (issue 17) -------------------------------------------

SHORT = {"messages": [{"role": "user", "content": "In the beginning"}], "max_tokens": 12, "temperature": 0}


def skip(what, why):
    print(f"daemon hostile dirs: SKIPPED {what}: {why}")


def mount_tmpfs(path, size):
    """A small tmpfs at `path`, private to us (mode 0700); False when mounting is not permitted."""
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", path], capture_output=True, text=True)
    return r.returncode == 0


def umount(path):
    subprocess.run(["umount", "-l", path], capture_output=True)


def fill(path):
    """Writes a file until the disk is full (ENOSPC), down to the last block; returns its path."""
    filler = os.path.join(path, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def session_object(daemon, session):
    status, body = daemon.request("GET", f"/v1/sessions/{session}")
    if status != 200:
        sys.exit(f"FAIL: GET session answered {status}: {body}")
    return body


def turn(daemon, session, content):
    body = {**SHORT, "session_id": session, "messages": [{"role": "user", "content": content}]}
    status, answer = daemon.request("POST", "/v1/chat/completions", body)
    if status != 200:
        sys.exit(f"FAIL: a chat turn in session answered {status}: {answer}")


def session_ids(daemon):
    status, listed = daemon.request("GET", "/v1/sessions")
    if status != 200:
        sys.exit(f"FAIL: GET /v1/sessions answered {status}: {listed}")
    return {s["id"] for s in listed["data"]}


def expect_507(daemon, label):
    before = session_ids(daemon)
    status, body = daemon.request("POST", "/v1/sessions")
    if status != 507 or not isinstance(body, dict) or body.get("error", {}).get("code") != "checkpoint_write_failed":
        sys.exit(f"FAIL {label}: POST /v1/sessions answered {status} {body}, expected 507 checkpoint_write_failed")
    if session_ids(daemon) != before:
        sys.exit(f"FAIL {label}: a refused session exists: {session_ids(daemon) - before}")


def expect_not_durable_then_retry(daemon, session, label, repair):
    """A turn while the disk refuses writes is served and marks the session not durable;
    after `repair` the next turn's checkpoint is the retry."""
    turn(daemon, session, "And the earth was without form")
    daemon.request("GET", "/health")
    if session_object(daemon, session).get("durable") is not False:
        sys.exit(f"FAIL {label}: session not marked durable: false")
    if daemon.metric("autoglm_sessions_not_durable") != 1 or not daemon.metric("autoglm_checkpoint_failures_total"):
        sys.exit(f"FAIL {label}: metrics do not count the failing session")
    repair()
    turn(daemon, session, "And darkness was upon the face of the deep")
    deadline = time.time() + 30
    while session_object(daemon, session).get("durable") is not True:
        if time.time() > deadline:
            sys.exit(f"FAIL {label}: the session stayed durable: false after the disk came back")
        time.sleep(0.05)
    if daemon.metric("autoglm_sessions_not_durable") != 0:
        sys.exit(f"FAIL {label}: autoglm_sessions_not_durable stayed above 0")


def on_tmpfs(binary, work, name, size, what, case):
    """Runs `case(daemon, session, mnt)` with a daemon and one session on a fresh tmpfs."""
    mnt = os.path.join(work, name)
    if not mount_tmpfs(mnt, size):
        return skip(what, "mount -t tmpfs is not permitted here")
    try:
        daemon = Daemon(binary, work, mnt, name=name)
        case(daemon, new_session(daemon), mnt)
    finally:
        umount(mnt)


def full_disk(binary, work):
    on_tmpfs(binary, work, "full", "4m", "full disk (ENOSPC)", lambda d, s, m: full_disk_case(binary, work, d, s, m))


def full_disk_case(binary, work, daemon, session, mnt):
    filler = fill(mnt)
    expect_507(daemon, "full disk")

    def repair():
        os.unlink(filler)
    expect_not_durable_then_retry(daemon, session, "full disk", repair)
    tokens = session_object(daemon, session)["tokens"]
    daemon.kill()
    again = Daemon(binary, work, mnt, name="full2")
    if session_object(again, session)["tokens"] != tokens:
        sys.exit("FAIL full disk: after kill -9 the session is not what was acknowledged")
    again.stop()
    print("daemon hostile dirs: full disk (tmpfs, ENOSPC): POST /v1/sessions 507 and no session; a running session "
          "served, durable: false, metric 1; retried once space came back; survives kill -9")


def read_only_disk(binary, work):
    on_tmpfs(binary, work, "ro", "16m", "read-only disk (EROFS)", lambda d, s, m: read_only_case(binary, work, d, s, m))


def read_only_case(binary, work, daemon, session, mnt):
    if subprocess.run(["mount", "-o", "remount,ro", mnt], capture_output=True).returncode != 0:
        daemon.stop()
        return skip("read-only disk (EROFS)", "mount -o remount,ro is not permitted here")
    expect_507(daemon, "read-only disk")

    def repair():
        subprocess.run(["mount", "-o", "remount,rw", mnt], check=True)
    expect_not_durable_then_retry(daemon, session, "read-only disk", repair)
    daemon.stop()
    # Start-up on a read-only directory: READY, sessions back, new ones refused.
    subprocess.run(["mount", "-o", "remount,ro", mnt], check=True)
    again = Daemon(binary, work, mnt, name="ro2")
    session_object(again, session)
    expect_507(again, "read-only disk at start-up")
    again.stop()
    print("daemon hostile dirs: read-only disk (remount,ro, EROFS): 507 and no session; a running session served, "
          "durable: false; retried after remount,rw; a start on the read-only directory is READY")


def other_uid(binary, work):
    """Checkpoint files are unreadable by another uid even under a world-traversable
    parent, and that uid sees none of our sessions over the API."""
    if shutil.which("setpriv") is None:
        return skip("uid 65534 checks", "setpriv (util-linux) is not installed")
    if os.getuid() == 65534:
        return skip("uid 65534 checks", "already running as uid 65534")
    public = os.path.join(work, "public")
    os.makedirs(public)
    os.chmod(work, 0o755)
    os.chmod(public, 0o755)
    ckpt = os.path.join(public, "ckpt")
    daemon = Daemon(binary, work, ckpt, "--socket-mode", "0666", "--allow-uid", str(os.getuid()), "--allow-uid", "65534",
                    name="uid")
    session = new_session(daemon)
    turn(daemon, session, "The secret PIN is 4711")
    daemon.request("GET", "/health")
    time.sleep(0.2)
    files = [os.path.join(ckpt, f) for f in os.listdir(ckpt) if f.endswith(".ckpt")]
    if not files:
        sys.exit("FAIL uid 65534: no checkpoint file to check")
    modes = {f: oct(os.stat(f).st_mode & 0o777) for f in files + [ckpt]}
    if modes[ckpt] != "0o700" or any(modes[f] != "0o600" for f in files):
        sys.exit(f"FAIL uid 65534: modes {modes}, expected 0700 and 0600")
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    for f in files:
        r = subprocess.run(nobody + ["cat", f], capture_output=True)
        if r.returncode == 0 or r.stdout:
            sys.exit(f"FAIL uid 65534: read {f} ({len(r.stdout)} bytes)")
    os.chmod(daemon.socket, 0o666)
    api = nobody + ["curl", "-s", "--unix-socket", daemon.socket, "-o", "-", "-w", "\n%{http_code}"]
    r = subprocess.run(api + [f"http://localhost/v1/sessions/{session}"], capture_output=True, text=True)
    listed = subprocess.run(api + ["http://localhost/v1/sessions"], capture_output=True, text=True)
    daemon.stop()
    if not r.stdout.endswith("404"):
        sys.exit(f"FAIL uid 65534: GET another uid's session answered {r.stdout!r}")
    if not listed.stdout.endswith("200") or json.loads(listed.stdout.rsplit("\n", 1)[0])["data"]:
        sys.exit(f"FAIL uid 65534: GET /v1/sessions shows another uid's sessions: {listed.stdout!r}")
    print(f"daemon hostile dirs: as uid 65534 (setpriv): {len(files)} checkpoint file(s) 0600 in a 0700 directory not "
          "readable; the session is 404 and the list empty over the API")


def hostile_entries(binary, work):
    """A FIFO and a symlink named *.ckpt and a file named quarantine: start-up goes on."""
    d = os.path.join(work, "entries")
    daemon = Daemon(binary, work, d, name="entries")
    session = new_session(daemon)
    daemon.stop()
    real = [f for f in os.listdir(d) if f.endswith(".ckpt")][0]
    outside = os.path.join(work, "outside.ckpt")
    shutil.copy(os.path.join(d, real), outside)
    uid = os.getuid()
    os.mkfifo(os.path.join(d, f"u{uid}_sess-fifo.ckpt"))
    os.symlink(outside, os.path.join(d, f"u{uid}_sess-link.ckpt"))
    os.rmdir(os.path.join(d, "quarantine"))
    with open(os.path.join(d, "quarantine"), "w") as f:
        f.write("in the way")
    again = Daemon(binary, work, d, name="entries2")  # exits FAIL when it is not READY in time
    session_object(again, session)
    for name in ["sess-fifo", "sess-link"]:
        if again.request("GET", f"/v1/sessions/{name}")[0] != 404:
            sys.exit(f"FAIL hostile entries: {name} was loaded")
    again.stop()
    log = again.output()
    for name in [f"u{uid}_sess-fifo.ckpt skipped", f"u{uid}_sess-link.ckpt skipped", "moved it to"]:
        if name not in log:
            sys.exit(f"FAIL hostile entries: no log line '{name}'\n{log[-3000:]}")
    if not os.path.isdir(os.path.join(d, "quarantine")) or open(os.path.join(d, "quarantine.blocker")).read() != "in the way":
        sys.exit("FAIL hostile entries: the quarantine blocker was not moved aside intact")
    if not os.path.islink(os.path.join(d, f"u{uid}_sess-link.ckpt")) or os.listdir(os.path.join(d, "quarantine")):
        sys.exit("FAIL hostile entries: a skipped entry was moved or quarantined")
    print("daemon hostile dirs: FIFO *.ckpt and symlink *.ckpt skipped with log lines (READY, no hang); a file named "
          "quarantine moved to quarantine.blocker; the real session recovered")


def hostile(binary, work):
    hostile_entries(binary, work)
    other_uid(binary, work)
    full_disk(binary, work)
    read_only_disk(binary, work)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/autoglmd")
    ap.add_argument("--runs", type=int, default=64)
    ap.add_argument("--only-hostile", action="store_true", help="only the full/read-only disk, uid and directory-entry cases")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="autoglmd-sweep-")
    try:
        if not args.only_hostile:
            reference = sweep(binary, work, args.runs)
            corruption(binary, work, reference)
        hostile(binary, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
