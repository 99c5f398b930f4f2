#!/usr/bin/env python3
"""What a newcomer hits in the first minutes with the CLI (issue 17, items 5, 6, 9, 10, 11),
checked against built binaries:

  - tools/install.sh into a temporary prefix, the binary symlinked into a PATH directory,
    `autoglm models` and `autoglm generate` (default model) run from / ;
  - `--version` of autoglm and autoglmd, and the same version in the daemon's /v1/models
    and its autoglm_build_info metric;
  - `--max-tokens -1` reaches the range check ("must be ≥ 0"), not "Missing value";
  - `inspect` of a file in tensor types the runtime does not run: exit 0, the tensors
    listed and marked, "cannot run" with the types named ("IQ4_NL (20)");
  - errors naming a hostile 47 KB key are short, quoted and free of control bytes;
    non-finite metadata is refused naming the key; errno as text; "file truncated";
  - a warning when --context exceeds the trained context;
  - --threads defaults to the CPUs the process may use (taskset -c 0 → 1 thread);
  - progress without a terminal is one summary line (no carriage returns).

Usage: tools/cli_acceptance.py --autoglm .build/release/autoglm --autoglmd .build/release/autoglmd
Exits 1 on the first failed check, printing it.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BAD = os.path.join(ROOT, "Tests", "Fixtures", "bad-gguf")
# Two quoted names of 120 characters and the sentence around them.
MAX_ERROR_BYTES = 400


def run(args, cwd=None, env=None, check_rc=None):
    p = subprocess.run(args, cwd=cwd, env=env, capture_output=True, timeout=600)
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    if check_rc is not None and p.returncode != check_rc:
        fail(f"{' '.join(args)}: exit {p.returncode}, expected {check_rc}\nstdout: {out[-2000:]}\nstderr: {err[-2000:]}")
    return p.returncode, out, err, p.stderr


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def expect(condition, message):
    if not condition:
        fail(message)
    print("ok: " + message.split("\n")[0])


def install_and_run_from_root(autoglm, build_dir, tmp):
    prefix, bindir = os.path.join(tmp, "prefix"), os.path.join(tmp, "onpath")
    run([os.path.join(ROOT, "tools", "install.sh"), prefix, build_dir], check_rc=0)
    os.makedirs(bindir)
    os.symlink(os.path.join(prefix, "bin", "autoglm"), os.path.join(bindir, "autoglm"))
    env = dict(os.environ, PATH=bindir + ":" + os.environ.get("PATH", ""))
    env.pop("AUTOGLM_MODELS", None)
    _, out, err, _ = run(["autoglm", "models", "--json"], cwd="/", env=env, check_rc=0)
    models = json.loads(out)
    expect(any(m["default"] and m["path"].startswith(os.path.join(prefix, "share/autoglm/models")) for m in models),
           f"`autoglm models` from / through a PATH symlink lists the installed default model: {out.strip()[:300]}")
    _, out, err, _ = run(["autoglm", "generate", "--prompt", "And God said", "--max-tokens", "3", "--json"],
                         cwd="/", env=env, check_rc=0)
    result = json.loads(out)
    expect(len(result["tokens"]) == 3 and result["model"].startswith(prefix),
           "`autoglm generate` from / finds the installed default model")


def version(autoglm, autoglmd):
    _, v1, _, _ = run([autoglm, "--version"], check_rc=0)
    _, v2, _, _ = run([autoglmd, "--version"], check_rc=0)
    expect(v1.strip() and v1.strip() == v2.strip() and v1.count(".") == 2,
           f"autoglm --version and autoglmd --version agree: {v1.strip()!r} {v2.strip()!r}")
    return v1.strip()


def negative_option_value(autoglm):
    rc, _, err, _ = run([autoglm, "generate", "--max-tokens", "-1", "--prompt", "x"])
    expect(rc != 0 and "must be ≥ 0" in err and "Missing value" not in err,
           f"--max-tokens -1 is refused by its range check: {err.strip()[:200]}")


def inspect_unsupported(autoglm):
    path = os.path.join(BAD, "llama-model-iq4_nl-q8_1-ffn.gguf")
    _, out, _, _ = run([autoglm, "inspect", path], check_rc=0)
    expect("blk.0.ffn_gate.weight" in out and "IQ4_NL (20)" in out and "Q8_1 (9)" in out and "UNSUPPORTED" in out,
           "inspect lists the tensors in types it cannot run, named and marked")
    expect("llama.rope.freq_base" in out and "blk.0.attn_q.weight" in out, "inspect still lists metadata and runnable tensors")
    expect("cannot run:" in out, "inspect says the model cannot run, and why")
    _, out, _, _ = run([autoglm, "inspect", "--json", path], check_rc=0)
    j = json.loads(out)
    expect(j["runnable"] is False and sum(1 for t in j["tensors"] if t.get("supported") is False) == 2,
           "inspect --json marks the two unsupported tensors and runnable false")
    rc, _, err, _ = run([autoglm, "generate", "--model", path, "--prompt", "x"])
    expect(rc != 0 and "IQ4_NL (20)" in err and "type 20" not in err, f"generate names the type: {err.strip()[:200]}")


def hostile_errors(autoglm):
    for name in ["long-key-nuls-unknown-type.gguf", "long-key-nuls-truncated-value.gguf"]:
        rc, _, err, raw = run([autoglm, "inspect", os.path.join(BAD, name)])
        expect(rc != 0 and len(raw) <= MAX_ERROR_BYTES and b"\0" not in raw and b"\x1b" not in raw and "'" in err
               and "… (47000 bytes)" in err,
               f"{name}: a {len(raw)}-byte quoted error without control bytes: {err.strip()[:160]}")
    for name, key in [("metadata-freq-base-nan.gguf", "llama.rope.freq_base"),
                      ("metadata-rms-eps-zero.gguf", "llama.attention.layer_norm_rms_epsilon")]:
        rc, _, err, _ = run([autoglm, "generate", "--model", os.path.join(BAD, name), "--prompt", "x"])
        expect(rc != 0 and key in err, f"{name}: refused naming {key}: {err.strip()[:160]}")
    rc, _, err, _ = run([autoglm, "inspect", "/nonexistent/model.gguf"])
    expect(rc != 0 and "No such file or directory" in err, f"errno as text: {err.strip()}")
    rc, _, err, _ = run([autoglm, "inspect", os.path.join(BAD, "tensor-count-exceeds-file.gguf")])
    expect(rc != 0 and "file truncated" in err, f"a count past the end says file truncated: {err.strip()}")


def context_warning(autoglm):
    _, _, err, _ = run([autoglm, "generate", "--context", "4096", "--max-tokens", "1", "--prompt", "x"], check_rc=0)
    expect("exceeds the model's trained context of 2048" in err, "--context 4096 over the trained 2048 warns")
    _, _, err, _ = run([autoglm, "generate", "--context", "512", "--max-tokens", "1", "--prompt", "x"], check_rc=0)
    expect("trained context" not in err, "--context 512 does not warn")


def default_threads(autoglm):
    if shutil.which("taskset") is None:
        print("skip: no taskset on this machine (default --threads under an affinity mask)")
        return
    args = [autoglm, "bench", "--prompt-tokens", "8", "--gen-tokens", "2", "--repetitions", "1", "--json"]
    _, out, _, _ = run(["taskset", "-c", "0"] + args, check_rc=0)
    expect(json.loads(out)["threads"] == 1, "under taskset -c 0 the default --threads is 1")
    cpus = len(os.sched_getaffinity(0))
    _, out, _, _ = run(args, check_rc=0)
    expect(json.loads(out)["threads"] == cpus or cpus > json.loads(out)["threads"] >= 1,
           f"without a mask the default --threads is the CPUs available ({cpus}, or fewer under a cgroup quota)")


def progress_without_terminal(autoglm, tmp):
    out_path = os.path.join(tmp, "q8.gguf")
    _, _, err, _ = run([autoglm, "quantize", "--model", os.path.join(ROOT, "Models", "default.gguf"),
                        "--out", out_path, "--type", "q8_0"], check_rc=0)
    lines = err.strip().split("\n")
    expect("\r" not in err and sum(1 for l in lines if l.startswith("quantize:")) == 1 and len(lines) <= 4,
           f"quantize to a pipe: one progress summary line, no redraws ({len(lines)} stderr lines)")


def daemon_version(autoglmd, expected, tmp):
    if shutil.which("curl") is None:
        print("skip: no curl (daemon version checks)")
        return
    sock = os.path.join(tmp, "d.sock")
    log = open(os.path.join(tmp, "daemon.log"), "wb")
    proc = subprocess.Popen([autoglmd, "--socket", sock, "--context", "256"], stdout=log, stderr=subprocess.STDOUT)
    try:
        def get(path):
            p = subprocess.run(["curl", "-s", "--unix-socket", sock, "http://localhost" + path], capture_output=True)
            return p.stdout.decode()
        deadline = time.time() + 120
        while time.time() < deadline:
            if os.path.exists(sock) and '"ready"' in get("/health"):
                break
            time.sleep(0.2)
        else:
            fail("autoglmd did not become ready; log: " + open(os.path.join(tmp, "daemon.log")).read()[-2000:])
        models = json.loads(get("/v1/models"))
        expect(all(m.get("version") == expected for m in models["data"]), "/v1/models objects carry the version")
        expect(f'autoglm_build_info{{version="{expected}"}} 1' in get("/metrics"), "/metrics has autoglm_build_info")
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--autoglm", default=os.path.join(ROOT, ".build", "release", "autoglm"))
    ap.add_argument("--autoglmd", default=os.path.join(ROOT, ".build", "release", "autoglmd"))
    a = ap.parse_args()
    autoglm, autoglmd = os.path.abspath(a.autoglm), os.path.abspath(a.autoglmd)
    tmp = tempfile.mkdtemp(prefix="cli-acceptance-")
    try:
        install_and_run_from_root(autoglm, os.path.dirname(autoglm), tmp)
        v = version(autoglm, autoglmd)
        negative_option_value(autoglm)
        inspect_unsupported(autoglm)
        hostile_errors(autoglm)
        context_warning(autoglm)
        default_threads(autoglm)
        progress_without_terminal(autoglm, tmp)
        daemon_version(autoglmd, v, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("cli acceptance: all checks passed")


if __name__ == "__main__":
    main()
