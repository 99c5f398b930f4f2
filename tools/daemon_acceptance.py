#!/usr/bin/env python3
"""Acceptance tests of autoglmd against the real binary on temporary Unix sockets.

Starts the daemon (the bundled default model), talks to it as clients would — curl
--unix-socket, the official `openai` package over an httpx Unix-socket transport, raw
sockets for malformed requests — and checks the documented answers (README "Errors").
Ends with the line "N passed, N failed"; exits non-zero on any failure.

Usage: python3 tools/daemon_acceptance.py [--binary .build/release/autoglmd]
Needs: curl, and the PyPI packages openai and httpx.
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

try:  # openai ≥ 3 ships its http client as httpx2 (httpx's API); older ones use httpx
    import httpx2 as httpx_module
except ImportError:
    import httpx as httpx_module
import openai

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Small limits so that every limit is cheap to hit. The daemons under test use the scalar
# reference backend: slow enough (about 20 ms a token on the bundled model) that a long
# generation is still running when a test needs it to be (priorities, disconnect, drain).
CONTEXT = 512
MAX_BODY = 65536
MAX_TOKENS = 200
HEADER_TIMEOUT_MS = 2000
QUEUE = 8
BATCH = 4
START_TIMEOUT_S = 60
REQUEST_TIMEOUT_S = 120


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=REQUEST_TIMEOUT_S):
        super().__init__("autoglm", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Daemon:
    def __init__(self, binary, *extra, env=None, config_text=None):
        self.dir = tempfile.mkdtemp(prefix="autoglmd-test-")
        self.socket = os.path.join(self.dir, "d.sock")
        args = [binary, "--socket", self.socket, "--context", str(CONTEXT), "--max-body-bytes", str(MAX_BODY),
                "--max-tokens", str(MAX_TOKENS), "--header-timeout-ms", str(HEADER_TIMEOUT_MS),
                "--queue-capacity", str(QUEUE), "--sessions", "2", "--batch", str(BATCH), "--backend", "reference"]
        if config_text is not None:
            path = os.path.join(self.dir, "autoglmd.toml")
            with open(path, "w") as f:
                f.write(config_text)
            args += ["--config", path]
        self.log = open(os.path.join(self.dir, "log.txt"), "w+")
        self.proc = subprocess.Popen(args + list(extra), stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})})

    def wait_ready(self):
        deadline = time.time() + START_TIMEOUT_S
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"autoglmd exited with {self.proc.returncode}: {self.output()}")
            try:
                status, body = self.request("GET", "/health")
                if status == 200 and body.get("status") == "ready":
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("autoglmd did not become ready")

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def request(self, method, path, body=None, headers=None, raw=False):
        conn = UnixHTTPConnection(self.socket)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            if raw:
                return resp.status, data, resp
            try:
                return resp.status, json.loads(data) if data else None
            except ValueError:
                return resp.status, data.decode("utf-8", "replace")
        finally:
            conn.close()

    def metrics(self):
        status, text = self.request("GET", "/metrics")
        assert status == 200
        values = {}
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
        return values

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def raw_exchange(path, payload, timeout=10):
    """Sends raw bytes, returns (status, parsed JSON body or None)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    try:
        s.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the daemon may answer and close before reading everything (413)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, rest = data.partition(b"\r\n\r\n")
                m = re.search(rb"content-length: (\d+)", head, re.I)
                if m and len(rest) >= int(m.group(1)):
                    break
    except (ConnectionResetError, socket.timeout):
        pass
    finally:
        s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1.1 (\d+)", head)
    status = int(m.group(1)) if m else None
    try:
        return status, json.loads(rest) if rest else None
    except ValueError:
        return status, None


def post_raw(path, route, body_bytes, content_type="application/json"):
    head = (f"POST {route} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body_bytes)}\r\nConnection: close\r\n\r\n").encode()
    return raw_exchange(path, head + body_bytes)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


CHAT = "/v1/chat/completions"


def chat_body(**over):
    body = {"model": "default", "messages": [{"role": "user", "content": "In the beginning"}], "max_tokens": 4,
            "temperature": 0}
    body.update(over)
    return body


@test
def curl_streams_a_chat_completion(d):
    out = subprocess.run(["curl", "-sN", "--unix-socket", d.socket, "http://autoglm" + CHAT,
                          "-H", "Content-Type: application/json",
                          "-d", json.dumps(chat_body(stream=True, max_tokens=8))],
                         capture_output=True, text=True, timeout=REQUEST_TIMEOUT_S, check=True).stdout
    events = [line[len("data: "):] for line in out.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]", events[-3:]
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text.strip(), "no text streamed"
    assert chunks[-1]["choices"][0]["finish_reason"] in ("length", "stop")


@test
def openai_client_over_unix_socket(d):
    transport = httpx_module.HTTPTransport(uds=d.socket)
    client = openai.OpenAI(base_url="http://autoglm/v1", api_key="unused",
                           http_client=httpx_module.Client(transport=transport), max_retries=0)
    models = client.models.list()
    model = models.data[0].id
    stream = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "And God said"}],
                                            max_tokens=8, temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    pieces, finish, usage = [], None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
            finish = choice.finish_reason or finish
    assert "".join(pieces).strip()
    assert finish in ("length", "stop")
    assert usage is not None and usage.completion_tokens >= 1 and usage.prompt_tokens >= 1
    full = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "And God said"}],
                                          max_tokens=8, temperature=0)
    assert full.choices[0].message.content == "".join(pieces), (full.choices[0].message.content, pieces)
    assert full.usage.total_tokens == full.usage.prompt_tokens + full.usage.completion_tokens
    try:  # the batched engine has no logprobs (the single engine's are checked in single_engine_tests)
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "x"}], max_tokens=2, logprobs=True)
        raise AssertionError("logprobs accepted by the batched engine")
    except openai.BadRequestError as e:
        assert e.code == "logprobs_unsupported", e
    completion = client.completions.create(model=model, prompt="In the beginning", max_tokens=5, temperature=0)
    assert completion.choices[0].text and completion.usage.completion_tokens <= 5
    try:
        client.chat.completions.create(model=model, messages=[{"role": "wizard", "content": "x"}])
        raise AssertionError("unknown role accepted")
    except openai.BadRequestError as e:
        assert e.status_code == 400 and e.code == "invalid_role", e


@test
def stop_strings_and_finish_reason(d):
    status, first = d.request("POST", "/v1/completions", {"prompt": "In the beginning", "max_tokens": 12, "temperature": 0})
    assert status == 200
    text = first["choices"][0]["text"]
    word = text.split()[1] if len(text.split()) > 1 else text.split()[0]
    status, stopped = d.request("POST", "/v1/completions",
                                {"prompt": "In the beginning", "max_tokens": 12, "temperature": 0, "stop": [word]})
    assert status == 200
    assert stopped["choices"][0]["finish_reason"] == "stop"
    assert stopped["choices"][0]["text"] == text[:text.index(word)], (stopped["choices"][0]["text"], text, word)


@test
def tokenize_detokenize_models(d):
    status, tok = d.request("POST", "/v1/tokenize", {"prompt": "In the beginning God created"})
    assert status == 200 and tok["count"] == len(tok["tokens"]) > 2
    status, detok = d.request("POST", "/v1/detokenize", {"tokens": tok["tokens"]})
    assert status == 200 and detok["prompt"].endswith("In the beginning God created"), detok
    status, chat = d.request("POST", "/v1/tokenize", {"messages": [{"role": "user", "content": "hi"}]})
    assert status == 200 and chat["count"] > tok["count"] - 5
    status, models = d.request("GET", "/v1/models")
    assert status == 200 and models["data"][0]["context_length"] == CONTEXT


@test
def sessions_continue_on_cached_kv(d):
    pinned_before = d.metrics()["autoglm_kv_pages_pinned"]
    status, s = d.request("POST", "/v1/sessions")
    assert status == 201, s
    sid = s["id"]
    status, one = d.request("POST", CHAT, chat_body(session_id=sid, max_tokens=40, stop=["\u2603"]))
    assert status == 200, one
    assert one["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    status, got = d.request("GET", f"/v1/sessions/{sid}")
    held = got["tokens"]
    assert held == one["usage"]["prompt_tokens"] + one["usage"]["completion_tokens"], (got, one)
    # The session pins the full pages of its history (all but the last sampled token has
    # KV) so other traffic cannot evict them between turns.
    pinned = d.metrics()["autoglm_kv_pages_pinned"] - pinned_before
    assert pinned == (held - 1) // 16 and pinned > 0, (pinned, held)
    before = d.metrics()
    status, two = d.request("POST", CHAT, chat_body(session_id=sid, max_tokens=6,
                                                   messages=[{"role": "user", "content": "And then"}]))
    assert status == 200, two
    after = d.metrics()
    cached = two["usage"]["prompt_tokens_details"]["cached_tokens"]
    # The history's KV comes back from the prefix cache in whole 16-token pages; at most
    # the last, partly filled page (and the last generated token, never fed back) is recomputed.
    assert held // 16 * 16 - 16 <= cached <= held and cached > 0, (cached, held)
    computed = two["usage"]["prompt_tokens"] - cached
    assert after["autoglm_prefilled_tokens_total"] - before["autoglm_prefilled_tokens_total"] == computed
    assert after["autoglm_prefix_cached_tokens_total"] - before["autoglm_prefix_cached_tokens_total"] == cached
    status, gone = d.request("DELETE", f"/v1/sessions/{sid}")
    assert status == 200 and gone["deleted"] is True
    # Deleting the session unpins its pages (the engine thread does it; allow it a moment).
    for _ in range(50):
        if d.metrics()["autoglm_kv_pages_pinned"] == pinned_before:
            break
        time.sleep(0.02)
    assert d.metrics()["autoglm_kv_pages_pinned"] == pinned_before
    status, err = d.request("GET", f"/v1/sessions/{sid}")
    assert status == 404 and err["error"]["code"] == "session_not_found"
    status, err = d.request("POST", CHAT, chat_body(session_id=sid))
    assert status == 404 and err["error"]["code"] == "session_not_found"


@test
def session_limits(d):
    ids = []
    for _ in range(2):
        status, s = d.request("POST", "/v1/sessions")
        assert status == 201
        ids.append(s["id"])
    status, err = d.request("POST", "/v1/sessions")
    assert status == 429 and err["error"]["code"] in ("too_many_sessions", "no_free_session_slot"), err
    for sid in ids:
        assert d.request("DELETE", f"/v1/sessions/{sid}")[0] == 200


def long_text(words):
    return " ".join(["And the LORD spake unto Moses"] * (words // 6 + 1))


# (name, route, body bytes or raw request, expected status, expected error code or None)
def malformed_cases():
    j = lambda o: json.dumps(o).encode()
    user = [{"role": "user", "content": "hi"}]
    return [
        ("not JSON", CHAT, b"{not json", 400, "invalid_json"),
        ("truncated JSON", CHAT, b'{"messages": [', 400, "invalid_json"),
        ("empty body", CHAT, b"", 400, "invalid_request"),
        ("JSON array", CHAT, b"[1,2]", 400, "invalid_json"),
        ("JSON string", CHAT, b'"hello"', 400, "invalid_json"),
        ("invalid UTF-8", CHAT, b'{"messages":[{"role":"user","content":"\xff\xfe"}]}', 400, "invalid_utf8"),
        ("overlong UTF-8", CHAT, b'{"messages":[{"role":"user","content":"\xc0\xaf"}]}', 400, "invalid_utf8"),
        ("missing messages", CHAT, j({"model": "default"}), 400, "invalid_request"),
        ("messages not array", CHAT, j({"messages": "hi"}), 400, "invalid_request"),
        ("empty messages", CHAT, j({"messages": []}), 400, "invalid_request"),
        ("message not object", CHAT, j({"messages": ["hi"]}), 400, "invalid_request"),
        ("missing role", CHAT, j({"messages": [{"content": "hi"}]}), 400, "invalid_request"),
        ("unknown role", CHAT, j({"messages": [{"role": "wizard", "content": "hi"}]}), 400, "invalid_role"),
        ("role not string", CHAT, j({"messages": [{"role": 7, "content": "hi"}]}), 400, "invalid_request"),
        ("missing content", CHAT, j({"messages": [{"role": "user"}]}), 400, "invalid_request"),
        ("content number", CHAT, j({"messages": [{"role": "user", "content": 5}]}), 400, "invalid_request"),
        ("content bad part", CHAT, j({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}), 400, "invalid_request"),
        ("max_tokens string", CHAT, j({"messages": user, "max_tokens": "10"}), 400, "invalid_request"),
        ("max_tokens huge", CHAT, j({"messages": user, "max_tokens": 10**30}), 400, "invalid_request"),
        ("max_tokens fraction", CHAT, j({"messages": user, "max_tokens": 2.5}), 400, "invalid_request"),
        ("max_tokens negative", CHAT, j({"messages": user, "max_tokens": -1}), 400, "invalid_request"),
        ("max_tokens over limit", CHAT, j({"messages": user, "max_tokens": MAX_TOKENS + 1}), 400, "invalid_request"),
        ("max_tokens bool", CHAT, j({"messages": user, "max_tokens": True}), 400, "invalid_request"),
        ("number overflow", CHAT, b'{"messages":[{"role":"user","content":"hi"}],"temperature":1e400}', 400, "invalid_json"),
        ("temperature too high", CHAT, j({"messages": user, "temperature": 7}), 400, "invalid_request"),
        ("top_p zero", CHAT, j({"messages": user, "top_p": 0}), 400, "invalid_request"),
        ("stream not bool", CHAT, j({"messages": user, "stream": "yes"}), 400, "invalid_request"),
        ("stop wrong type", CHAT, j({"messages": user, "stop": 3}), 400, "invalid_request"),
        ("too many stops", CHAT, j({"messages": user, "stop": ["a", "b", "c", "d", "e"]}), 400, "invalid_request"),
        ("n two", CHAT, j({"messages": user, "n": 2}), 400, "invalid_request"),
        ("priority out of range", CHAT, j({"messages": user, "priority": 10**6}), 400, "invalid_request"),
        ("deadline zero", CHAT, j({"messages": user, "deadline_ms": 0}), 400, "invalid_request"),
        ("deadline string", CHAT, j({"messages": user, "deadline_ms": "soon"}), 400, "invalid_request"),
        ("session id number", CHAT, j({"messages": user, "session_id": 12}), 400, "invalid_request"),
        ("unknown session", CHAT, j({"messages": user, "session_id": "sess-nope"}), 404, "session_not_found"),
        ("unknown model", CHAT, j({"messages": user, "model": "gpt-9"}), 404, "model_not_found"),
        ("prompt missing", "/v1/completions", j({"max_tokens": 3}), 400, "invalid_request"),
        ("prompt token out of vocab", "/v1/completions", j({"prompt": [1, 999999]}), 400, "invalid_request"),
        ("prompt longer than the context", "/v1/completions", j({"prompt": long_text(CONTEXT * 2)}), 413,
         "context_length_exceeded"),
        ("chat longer than the context", CHAT, j({"messages": [{"role": "user", "content": long_text(CONTEXT * 2)}]}), 413,
         "context_length_exceeded"),
        ("detokenize bad ids", "/v1/detokenize", j({"tokens": ["a"]}), 400, "invalid_request"),
        ("tokenize no prompt", "/v1/tokenize", j({}), 400, "invalid_request"),
        ("unknown route", "/v1/embeddings", j({"input": "x"}), 404, "unknown_url"),
        ("oversized body", CHAT, b'{"messages":[{"role":"user","content":"' + b"a" * (MAX_BODY + 10) + b'"}]}', 413,
         "body_too_large"),
    ]


@test
def malformed_requests_get_documented_errors(d):
    cases = malformed_cases()
    assert len(cases) >= 30
    failures = []
    for name, route, body, status, code in cases:
        got_status, got = post_raw(d.socket, route, body)
        codes = code if isinstance(code, tuple) else (code,)
        ok = (got_status == status and isinstance(got, dict) and "error" in got
              and got["error"].get("code") in codes and isinstance(got["error"].get("message"), str))
        if not ok:
            failures.append(f"{name}: got {got_status} {got}")
        # The daemon keeps serving after each one.
        assert d.request("GET", "/health")[0] == 200, f"daemon stopped serving after {name}"
    # Method on a known route, and a chunked oversized body.
    status, body = d.request("GET", CHAT)
    if status != 405 or body["error"]["code"] != "method_not_allowed":
        failures.append(f"GET chat: {status} {body}")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(d.socket)
    s.sendall(f"POST {CHAT} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
    try:
        for _ in range(MAX_BODY // 4096 + 2):
            s.sendall(b"1000\r\n" + b"a" * 4096 + b"\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    reply = s.recv(4096)
    s.close()
    if not reply.startswith(b"HTTP/1.1 413"):
        failures.append(f"chunked oversized body: {reply[:80]!r}")
    assert not failures, "\n".join(failures)
    print(f"    {len(cases) + 2} malformed requests answered as documented")


@test
def slowloris_is_cut_off(d):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1)
    s.connect(d.socket)
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 20 + b"\r\n\r\n"
    start = time.time()
    closed_after = None
    for i, byte in enumerate(request):
        try:
            s.send(bytes([byte]))
            if s.recv(1) == b"":
                closed_after = i
                break
        except socket.timeout:
            pass  # nothing to read yet: one byte per second
        except (BrokenPipeError, ConnectionResetError):
            closed_after = i
            break
        # Meanwhile the daemon serves others.
        if i == 1:
            assert d.request("GET", "/health")[0] == 200
    s.close()
    took = time.time() - start
    assert closed_after is not None and closed_after < len(request) - 1, "slow client was never cut off"
    assert took < HEADER_TIMEOUT_MS / 1000 + 3, took


def open_stream(d, body):
    """Starts a streaming completion on a raw socket and returns the socket."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(REQUEST_TIMEOUT_S)
    s.connect(d.socket)
    data = json.dumps({**body, "stream": True}).encode()
    s.sendall(f"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
    return s


@test
def deadlines_and_priority_preemption(d):
    # A 1 ms deadline: refused at admission (cost model) or exceeded in the engine.
    status, err = d.request("POST", "/v1/completions",
                            {"prompt": "In the beginning", "max_tokens": MAX_TOKENS, "deadline_ms": 1, "temperature": 0})
    assert (status, err["error"]["code"]) in ((503, "deadline_unmeetable"), (504, "deadline_exceeded")), (status, err)
    before = d.metrics()
    # Fill every batch slot with long background generations, then send a critical request.
    streams = [open_stream(d, {"prompt": f"And {i}", "max_tokens": MAX_TOKENS, "priority": -1, "temperature": 0,
                               "stop": ["\u2603"]}) for i in range(BATCH)]
    for s in streams:
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
    start = time.time()
    status, critical = d.request("POST", "/v1/completions", {"prompt": "Hear", "max_tokens": 4, "priority": 1, "temperature": 0})
    took = time.time() - start
    assert status == 200 and critical["choices"][0]["finish_reason"] == "length", critical
    after = d.metrics()
    for s in streams:  # the backgrounds are still running: the critical one went first
        s.setblocking(False)
        tail = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                tail += chunk
        except BlockingIOError:
            pass
        assert b"[DONE]" not in tail, "a background generation finished before the critical one"
        s.close()
    assert after["autoglm_preemptions_total"] > before["autoglm_preemptions_total"], "nothing was preempted"
    assert after["autoglm_batch_size"] >= 1
    print(f"    critical request answered in {took:.2f} s with {BATCH} background generations running")


@test
def client_disconnect_cancels_generation(d):
    before = d.metrics()["autoglm_generated_tokens_total"]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(REQUEST_TIMEOUT_S)
    s.connect(d.socket)
    body = json.dumps({"prompt": "And", "max_tokens": MAX_TOKENS, "stream": True, "temperature": 0,
                       "stop": ["\u2603"]}).encode()
    s.sendall(f"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    got = b""
    while got.count(b"data: ") < 2:
        got += s.recv(4096)
    s.close()
    time.sleep(1.0)
    mid = d.metrics()["autoglm_generated_tokens_total"]
    time.sleep(1.0)
    after = d.metrics()["autoglm_generated_tokens_total"]
    assert after == mid, "generation went on after the client left"
    assert after - before < MAX_TOKENS, (before, after)


@test
def concurrency_32_clients_5_requests(d):
    before = d.metrics()
    results, lock = {}, threading.Lock()

    def client(i):
        for k in range(5):
            status, body = d.request("POST", CHAT, chat_body(max_tokens=2, messages=[{"role": "user", "content": f"Verse {i} {k}"}]))
            if status == 429:
                assert body["error"]["type"] == "rate_limit_error"
            elif status == 200:
                assert body["choices"][0]["finish_reason"] in ("length", "stop")
            with lock:
                results[status] = results.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results.values()) == 160 and set(results) <= {200, 429}, results
    after = d.metrics()
    for status in (200, 429):
        key = f'autoglm_requests_total{{endpoint="chat_completions",status="{status}"}}'
        delta = after.get(key, 0) - before.get(key, 0)
        assert delta == results.get(status, 0), (status, delta, results)
    print(f"    statuses: {results}")


def read_to_end(s):
    """Everything until the daemon closes the connection; closes the socket."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


@test
def half_closed_client_gets_its_answer(d):
    # A complete request, then shutdown(SHUT_WR) (as `nc -N` does): answered, then closed.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(REQUEST_TIMEOUT_S)
    s.connect(d.socket)
    body = json.dumps(chat_body(max_tokens=3)).encode()
    s.sendall(f"POST {CHAT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    s.shutdown(socket.SHUT_WR)
    data = read_to_end(s)
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), data[:300]
    assert json.loads(rest)["usage"]["completion_tokens"] >= 1, rest[:300]


@test
def expect_100_continue(d):
    # Raw: the interim 100 comes before the body is sent.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(d.socket)
    body = json.dumps({"prompt": "In the beginning"}).encode()
    s.sendall(f"POST /v1/tokenize HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n"
              f"Connection: close\r\n\r\n".encode())
    interim = b""
    while not interim.endswith(b"\r\n\r\n"):
        byte = s.recv(1)
        assert byte, interim
        interim += byte
    assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
    s.sendall(body)
    data = read_to_end(s)
    assert data.startswith(b"HTTP/1.1 200") and b'"tokens"' in data, data[:300]
    # curl, which waits --expect100-timeout for the 100 (1 s by default) before sending anyway:
    # with a 60 s wait it still answers at once only if the 100 came.
    started = time.monotonic()
    out = subprocess.run(["curl", "-s", "--unix-socket", d.socket, "--expect100-timeout", "60", "-H", "Expect: 100-continue",
                          "-H", "Content-Type: application/json", "-d", body.decode(), "http://localhost/v1/tokenize"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and json.loads(out.stdout)["count"] > 0, out
    assert time.monotonic() - started < 30, "curl waited for the 100 Continue"


@test
def metrics_series_present(d):
    text = d.request("GET", "/metrics")[1]
    for series in ["autoglm_requests_total", "autoglm_time_to_first_token_seconds_bucket", "autoglm_inter_token_seconds_bucket",
                   "autoglm_request_duration_seconds_bucket", "autoglm_queue_depth", "autoglm_batch_size",
                   "autoglm_kv_pages_used", "autoglm_kv_pages_free", "autoglm_kv_pages_pinned", "autoglm_prefix_hit_ratio", "autoglm_preemptions_total",
                   "autoglm_checkpoint_writes_total", "autoglm_checkpoint_failures_total", "autoglm_sessions_not_durable"]:
        assert series in text, series


def standalone_tests(binary):
    """Tests that start daemons of their own."""
    results = []

    def run(name, fn):
        try:
            fn()
            results.append((name, None))
        except Exception:
            results.append((name, traceback.format_exc()))

    def socket_mode_stale_socket_and_config():
        d = Daemon(binary, config_text='socket_path = "/nonexistent/ignored.sock"\nmax_tokens = 3\nsessions = 1\n'
                                       'max_prompt_tokens = 8\n')
        # Leave a stale socket file where the daemon will bind, as a crash would.
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(d.socket)
        stale.close()
        d.wait_ready()  # flag --socket wins over the file's socket_path, the stale file is replaced
        try:
            assert oct(os.stat(d.socket).st_mode & 0o777) == "0o660"
            status, err = d.request("POST", "/v1/completions", {"prompt": "x", "max_tokens": 4})
            # --max-tokens (flag) wins over max_tokens = 3 (file)
            assert status == 200, (status, err)
            status, err = d.request("POST", "/v1/completions", {"prompt": long_text(20), "max_tokens": 4})
            assert status == 413 and err["error"]["code"] == "prompt_too_long", (status, err)  # from the file
            second = subprocess.run([binary, "--socket", d.socket], capture_output=True, text=True, timeout=60)
            assert second.returncode != 0 and "already listening" in second.stderr + second.stdout, second
        finally:
            d.stop()
        assert not os.path.exists(d.socket), "socket file left behind"

    def peer_credentials_are_checked():
        d = Daemon(binary, "--allow-uid", "4242")  # not us: /health itself must be refused
        try:
            deadline = time.time() + START_TIMEOUT_S
            while not os.path.exists(d.socket) and time.time() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
            status, body = d.request("GET", "/health")
            assert status == 403 and body["error"]["code"] == "peer_not_allowed", (status, body)
        finally:
            d.stop()

    def sigterm_drains_and_systemd_hears_it():
        notify_path = tempfile.mktemp(prefix="notify-", dir="/tmp")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(notify_path)
        listener.settimeout(0.2)
        messages = []
        stop_listening = threading.Event()

        def listen():
            while not stop_listening.is_set():
                try:
                    messages.append(listener.recv(4096).decode())
                except socket.timeout:
                    pass

        t = threading.Thread(target=listen)
        t.start()
        d = Daemon(binary, "--drain-timeout-ms", "20000",
                   env={"NOTIFY_SOCKET": notify_path, "WATCHDOG_USEC": "400000"}).wait_ready()
        try:
            time.sleep(1.0)
            assert any(m.startswith("READY=1") for m in messages), messages
            assert sum(m == "WATCHDOG=1" for m in messages) >= 2, messages
            # A stream running when SIGTERM comes finishes.
            conn = UnixHTTPConnection(d.socket)
            conn.request("POST", "/v1/completions", body=json.dumps(
                {"prompt": "And", "max_tokens": MAX_TOKENS, "stream": True, "temperature": 0, "stop": ["\u2603"]}))
            resp = conn.getresponse()
            first = resp.readline()
            assert first.startswith(b"data: "), first
            d.proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            status, body = d.request("GET", "/health")
            assert status == 503 and body["status"] == "draining", (status, body)
            status, body = d.request("POST", "/v1/completions", {"prompt": "x", "max_tokens": 2})
            assert status == 503 and body["error"]["code"] == "draining", (status, body)
            rest = resp.read().decode()
            assert rest.rstrip().endswith("data: [DONE]"), rest[-200:]
            assert '"finish_reason":"length"' in rest, rest[-300:]
            assert d.proc.wait(timeout=30) == 0, d.output()
            assert any(m.startswith("STOPPING=1") for m in messages), messages
        finally:
            d.stop()
            stop_listening.set()
            t.join()
            listener.close()
            os.unlink(notify_path)

    def check_config_prints_the_plan():
        out = subprocess.run([binary, "--check-config", "--config", os.path.join(ROOT, "Platforms/x86-emulation.toml"),
                              "--context", "512"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "memory plan: context 512" in out.stdout and "KV pages" in out.stdout and "MemoryMax=" in out.stdout, out.stdout
        bad = subprocess.run([binary, "--check-config", "--memory-budget-bytes", "1000000"], capture_output=True, text=True,
                             timeout=60)
        assert bad.returncode != 0 and "over the budget" in bad.stderr, bad.stderr

    def single_engine_logprobs_priorities_deadlines():
        d = Daemon(binary, "--engine", "single").wait_ready()
        try:
            status, body = d.request("POST", CHAT, chat_body(max_tokens=6, logprobs=True))
            assert status == 200, body
            entries = body["choices"][0]["logprobs"]["content"]
            assert len(entries) == body["usage"]["completion_tokens"] and all(e["logprob"] <= 0 for e in entries), entries
            status, err = d.request("POST", "/v1/completions", {"prompt": "And", "max_tokens": MAX_TOKENS, "deadline_ms": 1})
            assert status == 504 and err["error"]["code"] == "deadline_exceeded", (status, err)
            # One job at a time: a later high-priority job overtakes an earlier low one.
            order, lock = [], threading.Lock()

            def run(name, priority, max_tokens):
                st, _ = d.request("POST", "/v1/completions", {"prompt": "And", "max_tokens": max_tokens, "priority": priority,
                                                               "temperature": 0, "stop": ["\u2603"]})
                with lock:
                    order.append((name, st))

            threads = [threading.Thread(target=run, args=("long", 0, MAX_TOKENS))]
            threads[0].start()
            time.sleep(0.3)
            threads.append(threading.Thread(target=run, args=("low", -5, 2)))
            threads[1].start()
            time.sleep(0.2)
            threads.append(threading.Thread(target=run, args=("high", 5, 2)))
            threads[2].start()
            time.sleep(0.2)
            # Work ahead makes a 1 ms deadline unmeetable: 503 at once.
            status, err = d.request("POST", "/v1/completions", {"prompt": "And", "max_tokens": 2, "deadline_ms": 1})
            assert status == 503 and err["error"]["code"] == "deadline_unmeetable", (status, err)
            for t in threads:
                t.join()
            names = [n for n, _ in order]
            assert names.index("high") < names.index("low"), order
        finally:
            assert d.stop() == 0

    def hugging_face_folder_and_loopback_tcp():
        folder = os.path.join(ROOT, "Tests/Fixtures/hf/qwen2")
        d = Daemon(binary, "--model", folder, "--tcp-port", "0", config_text="allow_insecure_tcp = true\n").wait_ready()
        try:
            status, models = d.request("GET", "/v1/models")
            assert status == 200 and models["data"][0]["id"] == "qwen2" and models["data"][0]["chat_template"] == "chatml", models
            status, body = d.request("POST", CHAT, chat_body(max_tokens=3))
            assert status == 200 and body["usage"]["completion_tokens"] >= 1, body
            m = re.search(r"tcp=127\.0\.0\.1:(\d+)", d.output())
            assert m, d.output()
            conn = http.client.HTTPConnection("127.0.0.1", int(m.group(1)), timeout=30)
            conn.request("GET", "/health")
            assert conn.getresponse().status == 200
            conn.close()
            assert "INSECURE: loopback TCP listener" in d.output(), d.output()
        finally:
            assert d.stop() == 0
        assert not [f for f in os.listdir(tempfile.gettempdir()) if f.startswith(f"autoglmd-{d.proc.pid}-")], "converted GGUF left behind"

    def tcp_is_refused_unless_allowed_and_never_with_checkpoints():
        work = tempfile.mkdtemp(prefix="autoglmd-tcp-")
        plain = subprocess.run([binary, "--socket", os.path.join(work, "s.sock"), "--tcp-port", "0"], capture_output=True,
                               text=True, timeout=60)
        assert plain.returncode != 0 and "allow_insecure_tcp = true" in plain.stderr, plain
        config = os.path.join(work, "c.toml")
        with open(config, "w") as f:
            f.write("allow_insecure_tcp = true\n")
        both = subprocess.run([binary, "--config", config, "--socket", os.path.join(work, "s.sock"), "--tcp-port", "0",
                               "--checkpoint-dir", os.path.join(work, "ckpt")], capture_output=True, text=True, timeout=60)
        assert both.returncode != 0 and "cannot be combined with checkpoint_dir" in both.stderr, both

    for name, fn in [("--tcp-port refused without allow_insecure_tcp, and with checkpoint_dir",
                      tcp_is_refused_unless_allowed_and_never_with_checkpoints),
                     ("single engine: logprobs, priority order, deadlines", single_engine_logprobs_priorities_deadlines),
                     ("Hugging Face folder as the model; loopback TCP", hugging_face_folder_and_loopback_tcp),
                     ("socket mode, stale socket, config + flags", socket_mode_stale_socket_and_config),
                     ("peer credentials (SO_PEERCRED)", peer_credentials_are_checked),
                     ("SIGTERM drain + sd_notify", sigterm_drains_and_systemd_hears_it),
                     ("--check-config prints the memory plan", check_config_prints_the_plan)]:
        run(name, fn)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/autoglmd"))
    args = parser.parse_args()
    results = []
    d = Daemon(args.binary).wait_ready()
    try:
        for fn in TESTS:
            start = time.time()
            try:
                fn(d)
                results.append((fn.__name__, None))
            except Exception:
                results.append((fn.__name__, traceback.format_exc()))
            print(f"{'ok  ' if results[-1][1] is None else 'FAIL'} {fn.__name__} ({time.time() - start:.1f} s)", flush=True)
    finally:
        code = d.stop()
        if code != 0:
            results.append(("daemon exits 0 on SIGTERM", f"exit {code}\n{d.output()[-2000:]}"))
    for name, error in standalone_tests(args.binary):
        results.append((name, error))
        print(f"{'ok  ' if error is None else 'FAIL'} {name}", flush=True)
    failed = [(n, e) for n, e in results if e]
    for name, error in failed:
        print(f"--- {name}\n{error}")
    print(f"acceptance: {len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
