#!/usr/bin/env python3
"""Tiny Hugging Face folders (config.json, tokenizer.json, tokenizer_config.json,
*.safetensors) for the llama, qwen2, glm and glm4 fixtures, for the tests of `autoglm
quantize --model HF_DIR`.

They hold exactly the weights and tokenizers of Tests/Fixtures/models/<family>-f32.gguf:
this script rebuilds them with tools/make_fixtures.py's own functions and the seeds
recorded in Tests/Fixtures/README.md, runs llama.cpp's converter on each folder, and
refuses to write anything unless the converter's output has the same tensors (bytes)
and metadata as the committed GGUF fixture. The llama folder is saved in two shards
with model.safetensors.index.json, so the sharded layout is covered too.

    python3 tools/make_hf_fixtures.py [--out Tests/Fixtures/hf] [--only FAMILY ...]

Needs torch, transformers, tokenizers and the llama-cpp-python sdist (see
tools/llama_cpp_converter.py). Takes about a minute.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_fixtures as mf  # noqa: E402
import llama_cpp_converter  # noqa: E402

# family -> seed chosen by make_fixtures.py (Tests/Fixtures/README.md, "seed" column)
SEEDS = {"llama": 1083, "qwen2": 2195, "glm": 3075, "glm4": 4144}
# save_pretrained's shard limit for the llama folder: small enough for two shards
LLAMA_SHARD = "400KB"


def same_gguf(gguf, made: Path, committed: Path) -> list[str]:
    """Differences between two GGUF files: tensors (name, type, shape, bytes) and metadata
    (general.name aside, which the converter takes from the folder name)."""
    a, b = gguf.GGUFReader(made), gguf.GGUFReader(committed)
    problems = []
    ta, tb = {t.name: t for t in a.tensors}, {t.name: t for t in b.tensors}
    if set(ta) != set(tb):
        problems.append(f"tensor names differ: {sorted(set(ta) ^ set(tb))}")
    for name in set(ta) & set(tb):
        x, y = ta[name], tb[name]
        if x.tensor_type != y.tensor_type or list(x.shape) != list(y.shape) or bytes(x.data.tobytes()) != bytes(y.data.tobytes()):
            problems.append(f"tensor {name} differs")
    fa = {k: v for k, v in a.fields.items() if not k.startswith("GGUF.") and k != "general.name"}
    fb = {k: v for k, v in b.fields.items() if not k.startswith("GGUF.") and k != "general.name"}
    if set(fa) != set(fb):
        problems.append(f"metadata keys differ: {sorted(set(fa) ^ set(fb))}")
    for k in set(fa) & set(fb):
        if [bytes(p.tobytes()) for p in fa[k].parts] != [bytes(p.tobytes()) for p in fb[k].parts]:
            problems.append(f"metadata {k} differs")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=mf.FIXTURES / "hf")
    ap.add_argument("--only", nargs="*", help="families to build (default: all)")
    args = ap.parse_args()
    import torch
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    lcp = llama_cpp_converter.llama_cpp_dir(mf.log)
    gguf = mf.import_gguf(lcp)
    work = Path(tempfile.mkdtemp(prefix="autoglm-hf-fixtures-"))
    toks = {}
    for family, seed in SEEDS.items():
        if args.only and family not in args.only:
            continue
        spec = mf.FAMILIES[family]
        tname = spec["tokenizer"]
        if tname not in toks:
            d = work / "tok" / tname
            mf.train_bpe(tname, mf.BPE_TOKENIZERS[tname], d)
            toks[tname] = (d, mf.hf_tokenizer(d))
        tok_dir, tok = toks[tname]
        model = mf.make_model(family, spec, tok, seed)
        hf_dir = work / "hf" / family
        shard = LLAMA_SHARD if family == "llama" else "50GB"
        model.save_pretrained(str(hf_dir), safe_serialization=True, max_shard_size=shard)
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(tok_dir / f, hf_dir / f)
        (hf_dir / "generation_config.json").unlink(missing_ok=True)
        if family == "glm":
            # as make_fixtures.py: the chatglm converter takes context_length from seq_length
            cj = mf.json.loads((hf_dir / "config.json").read_text())
            cj["seq_length"] = mf.MAX_POS
            (hf_dir / "config.json").write_text(mf.json.dumps(cj, indent=2))
        out = work / f"{family}-f32.gguf"
        mf.convert(lcp, hf_dir, "f32", out, mf.BPE_TOKENIZERS[tname]["pre"], f"autoglm-fixture-{family}")
        (hf_dir / "convert-f32.log").unlink()
        problems = same_gguf(gguf, out, mf.FIXTURES / "models" / f"{family}-f32.gguf")
        if problems:
            raise SystemExit(f"{family}: the rebuilt folder does not convert to the committed fixture: {problems}")
        dest = args.out / family
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(hf_dir, dest)
        files = sorted(p.name for p in dest.iterdir())
        mf.log(f"{family}: {dest} ({', '.join(files)}) converts to {family}-f32.gguf exactly")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
