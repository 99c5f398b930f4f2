#!/usr/bin/env python3
"""Train the small bundled default model (GLM-4 architecture, ~7.5 M parameters) on the King James Bible.

What it does:
  1. Corpus: dumps the King James Version from the Debian package `bible-kjv-text` with its reader
     (`bible -f Gen1:1-Rev22:21`, one verse per line with a reference such as "Ge1:1"), strips the
     verse references and collapses runs of spaces. Result: plain prose, one verse per line, chapters
     separated by one blank line (1189 chapters). The KJV text (1611) is public domain (its copyright
     is expired, as /usr/share/doc/bible-kjv-text/copyright says; note that in the United Kingdom the
     Authorized Version is still under Crown letters patent).
  2. Split: every 20th chapter (0-based chapter index % 20 == 19, contiguous whole chapters, ~5 %) is
     held out and written to Models/default-heldout.txt; the rest is the training text.
  3. Tokenizer: byte-level BPE trained with `tokenizers` on the training text: GLM-4's pre-tokenizer
     regex (same as Llama-3's) + ByteLevel, 5990 learned tokens + the 10 GLM special tokens = 6000,
     with the [gMASK]<sop> post-processor of GLM-4. Its pre-tokenizer hash is unknown to llama.cpp, so
     the conversion maps it to the pre name "glm4" (the wrapper from tools/make_fixtures.py, copied).
  4. Model: transformers Glm4ForCausalLM, hidden 256, 6 layers, 4 heads / 2 KV heads, head_dim 64, FFN
     704, partial rotary 0.5 (32 rope dims, theta 10000), QKV bias, untied embeddings, vocab 6000,
     max_position_embeddings 2048 (trained at context 256).
  5. Training: fp32 on CPU (torch.set_num_threads(2)), AdamW (betas 0.9/0.95, weight decay 0.1 on
     matrices), linear warm-up then cosine decay to 10 % of the peak LR, batches of 256-token
     sequences. Every sequence starts with [gMASK] (what llama.cpp and our runtime prepend as BOS);
     every second one has <sop> after it (the HF tokenizer's prefix; <sop> itself is never a target).
     The rest are consecutive tokens of the training stream, at a random shift per epoch and in a
     seeded shuffled order. Budget: --steps N (deterministic) or --minutes M (default 45): the step
     count is then fixed from the speed of the first steps and printed, so a run can be repeated
     exactly with --steps; a hard stop at 1.05 x M minutes guards the wall time.
  6. Evaluation (transformers, float32) on Models/default-heldout.txt with llama.cpp's perplexity
     definition: tokens = [BOS] + tokenize(text); non-overlapping windows of n_ctx = 256 tokens (only
     whole windows), the first token of each window set to BOS ([gMASK]); only the second half of each
     window is scored (the 127 predictions of tokens at positions 129..255 of the window). PPL =
     exp(mean NLL); bits/byte = sum NLL / ln 2 / UTF-8 bytes of the scored tokens. A unigram model
     (training token frequencies, add-one) on the same scored tokens is the baseline. Held-out loss is
     also logged at 1/3 and 2/3 of training on the first 32 windows.
  7. Saves the HF folder (default /tmp/glm4-kjv-hf, outside the repo), converts it with llama.cpp's
     convert_hf_to_gguf.py to F32 -> Models/glm4-kjv-7m-f32.gguf, reads the GGUF back and asserts
     every tensor equals the trained HF tensor, samples greedy continuations with transformers, and
     writes the model card Models/README.md.

Rerun (from the repository root; Debian 12, Python 3.11):

    apt-get install -y bible-kjv bible-kjv-text
    pip install torch transformers tokenizers safetensors numpy   # tested: torch 2.15, transformers 5.23, tokenizers 0.23
    python3 tools/train_default_model.py --minutes 45             # or --steps N to repeat a run exactly

Expected time: about 45 minutes of training plus ~2 minutes for tokenizer, evaluation and conversion
on 2 cores (~1500-2400 tokens/s; less when the machine is shared). The llama.cpp converter is looked
for in $AUTOGLM_LLAMA_CPP_DIR or /tmp/lcp (.../llama_cpp_python-0.3.36/vendor/llama.cpp); if absent it
is fetched with `pip download --no-deps --no-binary llama-cpp-python llama-cpp-python==0.3.36`.
Seeded (--seed, default 1234); with the same --steps, thread count and package versions the run is
repeatable as far as torch CPU kernels are.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import llama_cpp_converter  # noqa: E402  (tools/llama_cpp_converter.py)

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "Models"
HELDOUT = MODELS / "default-heldout.txt"
CARD = MODELS / "README.md"
GGUF_NAME = "glm4-kjv-7m-f32.gguf"
LCP_VERSION = llama_cpp_converter.LCP_VERSION

# Same as tools/make_fixtures.py: GLM-4 uses Llama-3's split regex; the GLM special tokens.
GLM4_RE = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
           r"|\s*[\r\n]+|\s+(?!\S)|\s+")
GLM_SPECIALS = ["<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>", "<|system|>", "<|user|>",
                "<|assistant|>", "<|observation|>"]

VOCAB = 6000
ARCH = dict(hidden=256, layers=6, heads=4, kv_heads=2, head_dim=64, ffn=704, partial_rotary=0.5,
            rope_theta=10000.0, max_pos=2048, tied=False)
CTX = 256
HOLDOUT_EVERY = 20
PROMPTS = ["And the LORD said unto", "In the beginning", "Blessed are the", "And it came to pass"]


def log(*a):
    print("[train_default]", *a, flush=True)


# ----------------------------------------------------------------------------------------------
# corpus
# ----------------------------------------------------------------------------------------------
def kjv_chapters() -> list[list[str]]:
    """Chapters (lists of verse lines) of the KJV, references stripped."""
    if not Path("/usr/lib/bible.data").is_file():
        raise SystemExit("bible.data not found: apt-get install -y bible-kjv bible-kjv-text")
    raw = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], capture_output=True, text=True, check=True,
                         cwd="/tmp").stdout
    ref = re.compile(r"^(\d?[A-Za-z]+)(\d+):(\d+) (.*)$")
    chapters, key = [], None
    for line in raw.split("\n"):
        if not line.strip():
            continue
        m = ref.match(line)
        if not m:
            raise SystemExit(f"unexpected line from bible: {line[:80]!r}")
        k = (m.group(1), int(m.group(2)))
        text = re.sub(r"\s+", " ", m.group(4)).strip()
        if k != key:
            chapters.append([])
            key = k
        chapters[-1].append(text)
    assert len(chapters) == 1189 and sum(map(len, chapters)) == 31102, (len(chapters), sum(map(len, chapters)))
    return chapters


def split_corpus(chapters):
    train = [c for i, c in enumerate(chapters) if i % HOLDOUT_EVERY != HOLDOUT_EVERY - 1]
    held = [c for i, c in enumerate(chapters) if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1]
    as_text = lambda cs: "\n\n".join("\n".join(c) for c in cs) + "\n"  # noqa: E731
    return train, held, as_text(train), as_text(held)


# ----------------------------------------------------------------------------------------------
# tokenizer
# ----------------------------------------------------------------------------------------------
def train_tokenizer(train_chapters, out_dir: Path):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE(ignore_merges=True, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(GLM4_RE), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB - len(GLM_SPECIALS), min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tok.train_from_iterator(("\n".join(c) + "\n\n" for c in train_chapters), trainer=trainer)
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in GLM_SPECIALS])
    assert tok.get_vocab_size() == VOCAB, tok.get_vocab_size()
    tok.post_processor = processors.TemplateProcessing(
        single="[gMASK]:0 <sop>:0 $A:0", pair="[gMASK]:0 <sop>:0 $A:0 $B:1",
        special_tokens=[("[gMASK]", tok.token_to_id("[gMASK]")), ("<sop>", tok.token_to_id("<sop>"))])
    out_dir.mkdir(parents=True, exist_ok=True)
    tok.save(str(out_dir / "tokenizer.json"))
    cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": ARCH["max_pos"],
           "clean_up_tokenization_spaces": False, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}
    (out_dir / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2))
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(str(out_dir))


def token_byte_lengths(tok) -> list[int]:
    """UTF-8 byte length of each token id (byte-level BPE: one char per byte; specials count 0)."""
    # GPT-2's byte <-> unicode table (as in tokenizers' ByteLevel)
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    dec = {chr(c): b for b, c in zip(bs, cs)}
    specials = set(tok.get_added_vocab().values())
    out = [0] * len(tok)
    for s, i in tok.get_vocab().items():
        out[i] = 0 if i in specials else len(bytes(dec[c] for c in s))
    return out


# ----------------------------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------------------------
def build_model(tok, seed: int):
    import torch
    import transformers
    added = tok.get_added_vocab()
    cfg = transformers.Glm4Config(
        vocab_size=len(tok), hidden_size=ARCH["hidden"], intermediate_size=ARCH["ffn"],
        num_hidden_layers=ARCH["layers"], num_attention_heads=ARCH["heads"], num_key_value_heads=ARCH["kv_heads"],
        head_dim=ARCH["head_dim"], max_position_embeddings=ARCH["max_pos"], rms_norm_eps=1e-5,
        tie_word_embeddings=ARCH["tied"], attention_bias=True, hidden_act="silu", initializer_range=0.02,
        rope_parameters={"rope_type": "default", "rope_theta": ARCH["rope_theta"],
                         "partial_rotary_factor": ARCH["partial_rotary"]},
        pad_token_id=added["<|endoftext|>"], bos_token_id=added["[gMASK]"],
        eos_token_id=[added["<|endoftext|>"], added["<|user|>"], added["<|observation|>"]], dtype="float32")
    cfg.architectures = ["Glm4ForCausalLM"]
    torch.manual_seed(seed)
    return transformers.Glm4ForCausalLM(cfg).float()


# ----------------------------------------------------------------------------------------------
# evaluation
# ----------------------------------------------------------------------------------------------
def llama_cpp_ppl(model, ids: list[int], bos: int, nbytes: list[int], n_ctx: int = CTX, max_chunks=None,
                  unigram_logp=None, batch: int = 16) -> dict:
    """llama.cpp `perplexity` definition (see module docstring)."""
    import torch
    tokens = [bos] + ids
    n_chunk = len(tokens) // n_ctx
    if max_chunks is not None:
        n_chunk = min(n_chunk, max_chunks)
    first = n_ctx // 2
    nll = 0.0
    uni = 0.0
    count = 0
    scored_bytes = 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for c0 in range(0, n_chunk, batch):
            rows = []
            for c in range(c0, min(n_chunk, c0 + batch)):
                w = tokens[c * n_ctx:(c + 1) * n_ctx]
                w[0] = bos
                rows.append(w)
            x = torch.tensor(rows)
            logits = model(input_ids=x).logits[:, first:n_ctx - 1].double()
            tgt = x[:, first + 1:n_ctx]
            lp = torch.log_softmax(logits, dim=-1).gather(-1, tgt[..., None])[..., 0]
            nll -= float(lp.sum())
            count += tgt.numel()
            scored_bytes += sum(nbytes[t] for t in tgt.reshape(-1).tolist())
            if unigram_logp is not None:
                uni -= float(unigram_logp[tgt].sum())
    model.train(was_training)
    out = dict(chunks=n_chunk, n_ctx=n_ctx, scored_tokens=count, scored_bytes=scored_bytes, nll_sum=nll,
               mean_nll=nll / count, ppl=math.exp(nll / count), bpb=nll / math.log(2) / scored_bytes)
    if unigram_logp is not None:
        out.update(unigram_ppl=math.exp(uni / count), unigram_bpb=uni / math.log(2) / scored_bytes)
    return out


def greedy(model, tok, prompt: str, n: int = 40) -> str:
    import torch
    bos = tok.convert_tokens_to_ids("[gMASK]")
    ids = [bos] + tok.encode(prompt, add_special_tokens=False)
    model.eval()
    with torch.no_grad():
        for _ in range(n):
            nxt = int(model(input_ids=torch.tensor([ids])).logits[0, -1].argmax())
            ids.append(nxt)
            if nxt == tok.convert_tokens_to_ids("<|endoftext|>"):
                break
    return tok.decode(ids[1:], skip_special_tokens=False)


# ----------------------------------------------------------------------------------------------
# training
# ----------------------------------------------------------------------------------------------
def batches(train_ids, gmask: int, sop: int, batch: int, seed: int):
    """Endless stream of (input_ids, labels) batches; see the module docstring."""
    import torch
    g = torch.Generator().manual_seed(seed)
    data = torch.tensor(train_ids, dtype=torch.long)
    n_text = CTX - 1
    seq = 0
    epoch = 0
    while True:
        shift = int(torch.randint(0, n_text, (1,), generator=g))
        starts = torch.arange(shift, len(data) - n_text + 1, n_text)
        starts = starts[torch.randperm(len(starts), generator=g)]
        for b0 in range(0, len(starts) - batch + 1, batch):
            x = torch.empty(batch, CTX, dtype=torch.long)
            y = torch.empty(batch, CTX, dtype=torch.long)
            for r in range(batch):
                s = int(starts[b0 + r])
                if seq % 2 == 0:
                    x[r, 0] = gmask
                    x[r, 1:] = data[s:s + n_text]
                    y[r] = x[r]
                else:
                    x[r, 0], x[r, 1] = gmask, sop
                    x[r, 2:] = data[s:s + n_text - 1]
                    y[r] = x[r]
                    y[r, 1] = -100  # never learn to emit <sop>
                seq += 1
            yield epoch, x, y
        epoch += 1


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    p = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def train(model, train_ids, held_ids, tok, nbytes, args, logf):
    import torch
    gmask, sop = tok.convert_tokens_to_ids("[gMASK]"), tok.convert_tokens_to_ids("<sop>")
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    stream = batches(train_ids, gmask, sop, args.batch, args.seed + 1)
    total = args.steps
    timing_steps = 15
    t0 = time.time()
    hard_stop = None if args.steps else t0 + args.minutes * 60 * 1.05
    history, evals = [], []
    model.train()
    step = 0
    tokens = 0
    epoch = 0
    ema = None
    while True:
        if total is not None and step >= total:
            break
        if hard_stop is not None and time.time() > hard_stop:
            log(f"hard wall-clock stop at step {step} (planned {total})")
            break
        if total is None and step == timing_steps:
            per_step = (time.time() - t0) / timing_steps
            total = max(timing_steps + 10, int(args.minutes * 60 * 0.97 / per_step))
            log(f"{per_step:.2f} s/step over the first {timing_steps} steps -> total steps {total} "
                f"(repeat exactly with --steps {total})")
        cur_total = total if total is not None else 10 ** 9
        lr = lr_at(step, cur_total, args.lr, args.warmup)
        for grp in opt.param_groups:
            grp["lr"] = lr
        epoch, x, y = next(stream)
        loss = model(input_ids=x, labels=y).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        opt.step()
        step += 1
        tokens += x.numel()
        lv = loss.item()
        ema = lv if ema is None else 0.9 * ema + 0.1 * lv
        if step % args.log_every == 0 or step == 1:
            el = time.time() - t0
            msg = (f"step {step}/{total} epoch {epoch} loss {lv:.4f} (ema {ema:.4f}) lr {lr:.2e} gnorm {gnorm:.2f} "
                   f"tokens {tokens} elapsed {el / 60:.1f} min ({tokens / el:.0f} tok/s)")
            log(msg)
            logf.write(msg + "\n")
            logf.flush()
            history.append(dict(step=step, loss=round(lv, 4), ema=round(ema, 4), tokens=tokens,
                                minutes=round(el / 60, 2)))
        if total is not None and step in (total // 3, 2 * total // 3):
            r = llama_cpp_ppl(model, held_ids, gmask, nbytes, max_chunks=32)
            msg = f"eval at step {step}: held-out (first 32 windows) ppl {r['ppl']:.2f} bpb {r['bpb']:.4f}"
            log(msg)
            logf.write(msg + "\n")
            evals.append(dict(step=step, tokens=tokens, ppl32=round(r["ppl"], 3), bpb32=round(r["bpb"], 4)))
    wall = time.time() - t0
    return dict(steps=step, planned_steps=total, tokens=tokens, epochs=tokens / len(train_ids), wall_s=wall,
                history=history, evals=evals, last_ema=ema)


# ----------------------------------------------------------------------------------------------
# conversion (tools/llama_cpp_converter.py)
# ----------------------------------------------------------------------------------------------
def convert(lcp: Path, hf_dir: Path, outfile: Path, name: str) -> str:
    return llama_cpp_converter.convert(lcp, hf_dir, "f32", outfile, "glm4", name, hf_dir / "convert.log")


def check_gguf(lcp: Path, path: Path, model) -> dict:
    """Every GGUF tensor equals the trained HF tensor (F32); returns the non-vocab metadata."""
    import numpy as np
    sys.path.insert(0, str(lcp / "gguf-py"))
    import gguf
    reader = gguf.GGUFReader(str(path))
    md = {}
    for key, f in reader.fields.items():
        if key.startswith("GGUF.") or key in ("tokenizer.ggml.tokens", "tokenizer.ggml.merges",
                                               "tokenizer.ggml.token_type", "tokenizer.ggml.scores"):
            continue
        md[key] = f.contents()
    arch = md["general.architecture"]
    arch_id = next(k for k, v in gguf.MODEL_ARCH_NAMES.items() if v == arch)
    tmap = gguf.get_tensor_name_map(arch_id, model.config.num_hidden_layers)
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    by_gguf = {tmap.get_name(k, try_suffixes=(".weight", ".bias")): k for k in sd}
    seen, types = set(), {}
    for t in reader.tensors:
        types[t.tensor_type.name] = types.get(t.tensor_type.name, 0) + 1
        hf = by_gguf.get(t.name)
        assert hf is not None, f"GGUF tensor {t.name} has no HF counterpart"
        got = np.asarray(t.data, dtype=np.float32).reshape(sd[hf].shape)
        assert t.tensor_type.name == "F32" and np.array_equal(got, sd[hf]), f"{t.name} differs from {hf}"
        seen.add(hf)
    missing = set(sd) - seen
    assert not missing, f"HF tensors not in the GGUF: {missing}"
    return dict(md=md, n_tensors=len(reader.tensors), types=types)


# ----------------------------------------------------------------------------------------------
# model card
# ----------------------------------------------------------------------------------------------
def write_card(info: dict) -> None:
    a, tr, ev, g = info["arch"], info["train"], info["eval"], info["gguf"]
    md_keys = {k: v for k, v in g["md"].items() if not k.startswith("general.")}
    L = []
    L.append("# Default model: glm4-kjv-7m")
    L.append("")
    L.append(f"`{GGUF_NAME}` is the small model bundled with Open-AutoGLM as a **pipeline smoke test and demo** "
             "for the runtime: it writes English that looks like the King James Bible. It is not an assistant, "
             "knows nothing else, and follows no chat template. Generated by `tools/train_default_model.py`; "
             "do not edit by hand.")
    L.append("")
    L.append("| file | bytes | what |")
    L.append("|---|---|---|")
    L.append(f"| `{GGUF_NAME}` | {info['gguf_bytes']} | GGUF, arch `{g['md']['general.architecture']}`, "
             f"all {g['n_tensors']} tensors F32 |")
    L.append(f"| `default-heldout.txt` | {info['heldout_bytes']} | held-out evaluation text (never trained on) |")
    L.append("")
    L.append("## Data")
    L.append("")
    L.append("- Source: the King James Version of the Bible (1611) from the Debian 12 package `bible-kjv-text` "
             f"({info['pkg_version']}), read with its `bible` program (package `bible-kjv`): "
             "`bible -f Gen1:1-Rev22:21`.")
    L.append("- License: the KJV text is in the public domain (its copyright has expired, as the package's "
             "`/usr/share/doc/bible-kjv-text/copyright` states; in the United Kingdom the Authorized Version is "
             "still under Crown letters patent). The package's software is GPL-2+, but none of it is used here.")
    L.append("- Preprocessing: verse references (`Ge1:1`) removed, runs of spaces collapsed; no other changes "
             "(ASCII, original spelling and capitalisation, e.g. `LORD`). One verse per line; chapters "
             "separated by one blank line; no book titles.")
    L.append(f"- Split: {info['n_chapters']} chapters; every {HOLDOUT_EVERY}th chapter (0-based index % "
             f"{HOLDOUT_EVERY} == {HOLDOUT_EVERY - 1}: {info['held_chapters']} whole chapters, "
             f"{info['heldout_bytes']} bytes, {100 * info['heldout_bytes'] / info['all_bytes']:.1f} % of the text) "
             "is held out in `default-heldout.txt`; the other "
             f"{info['n_chapters'] - info['held_chapters']} chapters ({info['train_bytes']} bytes, "
             f"{info['train_tokens']} tokens) are the training text.")
    L.append("")
    L.append("## Tokenizer")
    L.append("")
    L.append(f"Byte-level BPE trained with `tokenizers` on the training text only: GLM-4's pre-tokenizer regex "
             f"(the same as Llama-3's) followed by ByteLevel, {VOCAB - len(GLM_SPECIALS)} learned tokens (256 byte "
             f"tokens + merges, min frequency 2) plus the {len(GLM_SPECIALS)} GLM special tokens at the end "
             f"(ids {VOCAB - len(GLM_SPECIALS)}–{VOCAB - 1}: {', '.join('`' + s + '`' for s in GLM_SPECIALS)}): "
             f"vocabulary {VOCAB}. The HF tokenizer adds `[gMASK]<sop>` (GLM-4's post-processor). The "
             "pre-tokenizer hash is unknown to llama.cpp; the conversion writes `tokenizer.ggml.pre` = `glm4`. "
             f"The held-out text is {info['held_tokens']} tokens ({info['heldout_bytes'] / info['held_tokens']:.2f} "
             "bytes/token).")
    L.append("")
    L.append("## Architecture")
    L.append("")
    L.append(f"transformers `Glm4ForCausalLM`: hidden {a['hidden']}, {a['layers']} layers, {a['heads']} attention "
             f"heads / {a['kv_heads']} KV heads, head_dim {a['head_dim']}, FFN {a['ffn']} (SiLU-gated, fused "
             f"gate/up), QKV bias, RMSNorm eps 1e-5 (GLM-4's four norms per layer), partial rotary factor "
             f"{a['partial_rotary']} ({int(a['head_dim'] * a['partial_rotary'])} rope dims per head, GLM interleaved "
             f"pairs, theta {a['rope_theta']:g}), untied input/output embeddings, vocab {VOCAB}, "
             f"max_position_embeddings {a['max_pos']}. Every matrix row length is a multiple of 32 (Q8_0 applies "
             f"everywhere). **Parameters: {info['params']:,}** ({info['params_nonemb']:,} without the two "
             "embedding matrices).")
    L.append("")
    L.append("Metadata the converter wrote (besides `general.*` and the vocabulary): "
             + ", ".join(f"`{k}`={json.dumps(v, ensure_ascii=False)}" for k, v in md_keys.items()) + ".")
    L.append("")
    L.append("## Training")
    L.append("")
    L.append(f"- {tr['steps']} steps of {info['batch']} sequences × {CTX} tokens = {tr['tokens']:,} tokens "
             f"({tr['epochs']:.2f} passes over the training text), wall time {tr['wall_s'] / 60:.1f} min on "
             f"{info['hardware']} (torch.set_num_threads(2), shared with other jobs), float32, seed {info['seed']}.")
    L.append(f"- AdamW (betas 0.9/0.95, eps 1e-8, weight decay {info['wd']} on matrices and embeddings, none on "
             f"norms and biases), peak LR {info['lr']:g}, {info['warmup']} linear warm-up steps, cosine decay to 10 % "
             "of the peak, gradient clipping at 1.0.")
    L.append("- Sequences: `[gMASK]` then 255 consecutive training tokens, or (every second sequence) `[gMASK]<sop>` "
             "then 254 (`<sop>` is never a target), taken at a random shift per epoch in a seeded shuffled order. "
             f"Trained at context {CTX} only: positions beyond {CTX} (up to the {a['max_pos']} the file allows) "
             "are untrained and quality drops there.")
    L.append(f"- Packages: torch {info['versions']['torch']}, transformers {info['versions']['transformers']}, "
             f"tokenizers {info['versions']['tokenizers']}, Python {info['versions']['python']}; converter: "
             f"llama.cpp `convert_hf_to_gguf.py` from the llama-cpp-python {LCP_VERSION} sdist (F32). Every GGUF "
             "tensor was read back and checked equal to the trained weights.")
    hist = tr["history"]
    pick = [h for i, h in enumerate(hist) if i % max(1, len(hist) // 8) == 0 or i == len(hist) - 1]
    L.append("- Training loss (per-batch, nats/token): " + ", ".join(
        f"step {h['step']}: {h['loss']:.3f}" for h in pick) + ".")
    if tr["evals"]:
        L.append("- Held-out during training (first 32 windows only): " + ", ".join(
            f"step {e['step']}: ppl {e['ppl32']:.2f}" for e in tr["evals"]) + ".")
    L.append("")
    L.append("## Held-out evaluation")
    L.append("")
    L.append("transformers, float32, on `default-heldout.txt`, with **llama.cpp's `perplexity` definition**: "
             "tokens = [BOS] + tokenize(whole file) with BOS = `[gMASK]` (what llama.cpp prepends for this GGUF, "
             f"`tokenizer.ggml.add_bos_token` true); cut into non-overlapping windows of n_ctx = {CTX} tokens (whole "
             "windows only); the first token of every window is replaced by BOS; only the second half of each "
             f"window is scored, i.e. the {CTX // 2 - 1} predictions of the tokens at window positions "
             f"{CTX // 2 + 1}–{CTX - 1}. PPL = exp(mean NLL). Bits per byte = total NLL / ln 2 / UTF-8 bytes of the "
             "scored tokens. `llama-perplexity -m Models/" + GGUF_NAME + f" -f Models/default-heldout.txt -c {CTX}` "
             "uses the same definition.")
    L.append("")
    L.append("| model | windows | scored tokens | scored bytes | perplexity | bits/byte |")
    L.append("|---|---|---|---|---|---|")
    L.append(f"| glm4-kjv-7m (this model) | {ev['chunks']} | {ev['scored_tokens']} | {ev['scored_bytes']} | "
             f"**{ev['ppl']:.3f}** | **{ev['bpb']:.4f}** |")
    L.append(f"| unigram baseline (training token frequencies, add-one) | {ev['chunks']} | {ev['scored_tokens']} | "
             f"{ev['scored_bytes']} | {ev['unigram_ppl']:.1f} | {ev['unigram_bpb']:.4f} |")
    L.append("")
    L.append(f"Mean NLL {ev['mean_nll']:.5f} nats/token (sum {ev['nll_sum']:.3f}). On the training text "
             f"(same definition, first {info['train_eval']['chunks']} windows): ppl {info['train_eval']['ppl']:.3f}.")
    L.append("")
    L.append("## Greedy samples")
    L.append("")
    L.append("transformers, float32, input `[gMASK]` + prompt (no `<sop>`), argmax for 40 tokens. Greedy decoding "
             "of a model this small falls into loops quickly; sampling (temperature ~0.8) reads better:")
    L.append("")
    for p, s in info["samples"].items():
        L.append("```")
        L.append(s)
        L.append("```")
    L.append("")
    L.append("## Regenerate")
    L.append("")
    L.append("```")
    L.append("apt-get install -y bible-kjv bible-kjv-text")
    L.append("pip install torch transformers tokenizers safetensors numpy")
    L.append(f"python3 tools/train_default_model.py --steps {tr['planned_steps']}   # this run's schedule; or --minutes 45")
    L.append("```")
    L.append("")
    if tr["steps"] != tr["planned_steps"]:
        L.append(f"This run hit the wall-clock guard after {tr['steps']} of {tr['planned_steps']} planned steps; "
                 "`--steps` runs the whole schedule.")
        L.append("")
    L.append("Writes this file, `default-heldout.txt` and the GGUF (the HF folder goes to /tmp/glm4-kjv-hf). "
             "`default.gguf` is not touched.")
    L.append("")
    CARD.write_text("\n".join(L))


# ----------------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=45.0, help="training wall-clock budget (default 45)")
    ap.add_argument("--steps", type=int, default=None, help="fixed number of steps (overrides --minutes)")
    ap.add_argument("--batch", type=int, default=8, help="sequences per step (default 8)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--hf-dir", type=Path, default=Path("/tmp/glm4-kjv-hf"))
    args = ap.parse_args()

    import numpy as np
    import tokenizers
    import torch
    import transformers
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.manual_seed(args.seed)
    t_start = time.time()

    chapters = kjv_chapters()
    train_ch, held_ch, train_text, held_text = split_corpus(chapters)
    MODELS.mkdir(exist_ok=True)
    HELDOUT.write_text(held_text, encoding="utf-8")
    log(f"{len(chapters)} chapters: {len(train_ch)} train ({len(train_text)} bytes), {len(held_ch)} held out "
        f"({len(held_text)} bytes) -> {HELDOUT.relative_to(REPO)}")

    hf = args.hf_dir
    hf.mkdir(parents=True, exist_ok=True)
    tok = train_tokenizer(train_ch, hf)
    train_ids = tok.backend_tokenizer.encode(train_text, add_special_tokens=False).ids
    held_ids = tok.backend_tokenizer.encode(held_text, add_special_tokens=False).ids
    assert tok.decode(held_ids) == held_text, "tokenizer does not round-trip the held-out text"
    nbytes = token_byte_lengths(tok)
    log(f"tokenizer: vocab {len(tok)}; train {len(train_ids)} tokens, held-out {len(held_ids)} tokens "
        f"({len(held_text.encode()) / len(held_ids):.2f} bytes/token)")
    counts = np.bincount(np.array(train_ids), minlength=len(tok)).astype(np.float64) + 1.0
    unigram_logp = torch.tensor(np.log(counts / counts.sum()))

    model = build_model(tok, args.seed)
    n_params = sum(p.numel() for p in model.parameters())
    n_emb = model.model.embed_tokens.weight.numel() + (0 if ARCH["tied"] else model.lm_head.weight.numel())
    log(f"Glm4ForCausalLM: {n_params:,} parameters ({n_params - n_emb:,} without embeddings)")

    logf = open(hf / "train.log", "w")
    tr = train(model, train_ids, held_ids, tok, nbytes, args, logf)
    log(f"trained {tr['steps']} steps, {tr['tokens']} tokens ({tr['epochs']:.2f} epochs) in {tr['wall_s'] / 60:.1f} min")

    model.save_pretrained(str(hf), safe_serialization=True)
    model = transformers.Glm4ForCausalLM.from_pretrained(str(hf), dtype=torch.float32).eval()
    gmask = tok.convert_tokens_to_ids("[gMASK]")
    ev = llama_cpp_ppl(model, held_ids, gmask, nbytes, unigram_logp=unigram_logp)
    log(f"held-out: ppl {ev['ppl']:.3f}, bpb {ev['bpb']:.4f} ({ev['scored_tokens']} scored tokens in {ev['chunks']} "
        f"windows); unigram ppl {ev['unigram_ppl']:.1f}, bpb {ev['unigram_bpb']:.4f}")
    tr_ev = llama_cpp_ppl(model, train_ids, gmask, nbytes, max_chunks=ev["chunks"])
    log(f"train text (first {tr_ev['chunks']} windows): ppl {tr_ev['ppl']:.3f}")
    samples = {p: greedy(model, tok, p) for p in PROMPTS}
    for p, s in samples.items():
        log(f"greedy: {s!r}")

    lcp = llama_cpp_converter.llama_cpp_dir(log)
    out = MODELS / GGUF_NAME
    convert(lcp, hf, out, "glm4-kjv-7m")
    g = check_gguf(lcp, out, model)
    log(f"{out.relative_to(REPO)}: {out.stat().st_size} bytes, {g['n_tensors']} tensors {g['types']}")
    for k, v in g["md"].items():
        if not k.startswith("general."):
            log(f"  {k} = {json.dumps(v, ensure_ascii=False)[:120]}")

    pkg_version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "bible-kjv-text"], capture_output=True,
                                 text=True).stdout.strip() or "unknown"
    cpu = "unknown CPU"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    info = dict(arch=ARCH, train=tr, eval=ev, train_eval=tr_ev, gguf=g, gguf_bytes=out.stat().st_size,
                heldout_bytes=len(held_text.encode()), train_bytes=len(train_text.encode()),
                all_bytes=len(held_text.encode()) + len(train_text.encode()), n_chapters=len(chapters),
                held_chapters=len(held_ch), train_tokens=len(train_ids), held_tokens=len(held_ids),
                params=n_params, params_nonemb=n_params - n_emb, batch=args.batch, lr=args.lr, wd=args.weight_decay,
                warmup=args.warmup, seed=args.seed, samples=samples, pkg_version=pkg_version,
                hardware=f"{os.cpu_count()} vCPU {cpu} ({platform.machine()})",
                versions=dict(torch=torch.__version__, transformers=transformers.__version__,
                              tokenizers=tokenizers.__version__, python=platform.python_version()))
    (hf / "run_info.json").write_text(json.dumps(info, indent=1, default=str))
    write_card(info)
    log(f"wrote {CARD.relative_to(REPO)}; total {(time.time() - t_start) / 60:.1f} min")


if __name__ == "__main__":
    main()
