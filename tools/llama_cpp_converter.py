#!/usr/bin/env python3
"""llama.cpp's convert_hf_to_gguf.py, run from the llama-cpp-python sdist, for our own models.

Shared by tools/make_fixtures.py and tools/train_default_model.py. Our tokenizers are
trained locally, so the converter does not know their pre-tokenizer hash and refuses them
(llama.cpp keeps a table of known hashes); the subprocess entry below wraps
`TextModel.get_vocab_base_pre` so that an unknown hash maps to the pre-tokenizer we name,
and a known one must be that name.

The sdist is looked for in $AUTOGLM_LLAMA_CPP_DIR or /tmp/lcp; when absent it is fetched
with `pip download --no-deps --no-binary llama-cpp-python llama-cpp-python==0.3.36`.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

LCP_VERSION = "0.3.36"
LCP_BASE = Path(os.environ.get("AUTOGLM_LLAMA_CPP_DIR", "/tmp/lcp"))


def llama_cpp_dir(log=print) -> Path:
    """The unpacked sdist's vendor/llama.cpp folder, downloading and unpacking it if needed."""
    d = LCP_BASE / f"llama_cpp_python-{LCP_VERSION}" / "vendor" / "llama.cpp"
    if (d / "convert_hf_to_gguf.py").is_file() and (d / "gguf-py" / "gguf").is_dir():
        return d
    LCP_BASE.mkdir(parents=True, exist_ok=True)
    tarball = LCP_BASE / f"llama_cpp_python-{LCP_VERSION}.tar.gz"
    if not tarball.is_file():
        log(f"downloading llama-cpp-python {LCP_VERSION} sdist into {LCP_BASE}")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "llama-cpp-python",
                        f"llama-cpp-python=={LCP_VERSION}", "-d", str(LCP_BASE)], check=True)
    log(f"unpacking {tarball}")
    with tarfile.open(tarball) as tf:
        tf.extractall(LCP_BASE, filter="data")
    assert (d / "convert_hf_to_gguf.py").is_file(), f"converter not found in {d}"
    return d


def convert(lcp: Path, hf_dir: Path, outtype: str, outfile: Path, pre: str, name: str, log_file: Path) -> str:
    """Converts an HF folder to GGUF in a subprocess; its output goes to `log_file` and is returned."""
    cmd = [sys.executable, str(Path(__file__).resolve()), str(lcp), pre, "--",
           str(hf_dir), "--outtype", outtype, "--outfile", str(outfile), "--model-name", name]
    r = subprocess.run(cmd, capture_output=True, text=True)
    log_file.write_text(r.stdout + r.stderr)
    if r.returncode != 0:
        sys.stderr.write(r.stdout[-4000:] + r.stderr[-8000:])
        raise SystemExit(f"converter failed for {hf_dir} {outtype}")
    return r.stdout + r.stderr


def run_converter_inprocess(argv: list[str]) -> None:
    """Subprocess entry: `LCP_DIR PRE -- converter args`."""
    lcp, pre = Path(argv[0]), argv[1]
    sys.path.insert(0, str(lcp))
    sys.path.insert(1, str(lcp / "gguf-py"))
    import convert_hf_to_gguf  # noqa: E402
    from conversion.base import TextModel  # noqa: E402

    original = TextModel.get_vocab_base_pre

    def get_vocab_base_pre(self, tokenizer) -> str:
        try:
            res = original(self, tokenizer)
        except NotImplementedError:
            print(f"[llama_cpp_converter] unknown pre-tokenizer hash mapped to {pre!r}", flush=True)
            return pre
        if res != pre:
            raise SystemExit(f"pre-tokenizer hash is known as {res!r}, wanted {pre!r}")
        return res

    TextModel.get_vocab_base_pre = get_vocab_base_pre
    sys.argv = ["convert_hf_to_gguf.py", *argv[3:]]
    convert_hf_to_gguf.main()


if __name__ == "__main__":
    run_converter_inprocess(sys.argv[1:])
