#!/usr/bin/env python3
"""Generate the model and tokenizer test fixtures under Tests/Fixtures/.

What it makes (all tiny, random-weight, deterministic):

  Tests/Fixtures/models/<family>-<type>.gguf   family in llama, qwen2, glm, glm4;
                                                type in f32, f16, q8_0
  Tests/Fixtures/models/llama-spm-f32.gguf      Llama with a SentencePiece (BPE, byte_fallback) vocab
  Tests/Fixtures/models/<family>.reference.json transformers' outputs for each file (see below)
  Tests/Fixtures/models/tokenizer-gpt2.gguf     vocabulary only (GPT-2 pre-tokenizer), no tensors
  Tests/Fixtures/tokenizer/<name>.json          HF tokenizer ids for name in llama-bpe, qwen2, glm4, gpt2, spm
  Tests/Fixtures/README.md                      shapes, pre-tokenizers, tensor types per file

How:
  1. Byte-level BPE tokenizers are trained with `tokenizers` on the text in CORPUS below, each with
     the real pre-tokenizer regex of its family (Llama-3, Qwen2, GLM-4, GPT-2); a SentencePiece BPE
     model (byte_fallback) is trained with `sentencepiece`.
  2. Tiny models (odd shapes on purpose, see FAMILIES) are built with transformers, their weights set
     from fixed seeds, and saved as float32 safetensors in a temp dir.
  3. llama.cpp's convert_hf_to_gguf.py (from the llama-cpp-python 0.3.36 sdist) converts each folder
     with --outtype f32 / f16 / q8_0. It runs as a subprocess of this script, with
     TextModel.get_vocab_base_pre wrapped so that our locally trained pre-tokenizer hash maps to the
     intended pre name (llama-bpe, qwen2, glm4).
  4. References: transformers in float64 (model.to(float64); RMSNorm, rope cos/sin and the attention
     softmax, which transformers computes in float32 whatever the dtype, are replaced by float64 versions)
     on (a) the original weights, (b) the weights with exactly the tensors the converter stored as F16
     rounded to f16, (c) the weights with exactly the tensors it stored as Q8_0 quantized+dequantized
     with gguf-py's own Q8_0 code (and the F16 ones rounded), and (d) "q8_0_actq": (c) with the input of
     every linear whose weight is Q8_0 quantized+dequantized on the fly in float32 the way the runtime's
     integer kernels do it (blocks of 32, d = amax/127, round half away from zero; see actq_q8_0).
     Each reference holds greedy_ids (32 steps), first_logits and min_top1_margin. Every tensor of every
     GGUF is read back and asserted to equal the HF-space tensor used for the reference (after undoing
     the Q/K row permutation the Llama converter applies); float32 runs of (a)-(c) must give the same
     greedy ids as float64 for all steps. Seeds are chosen so that all references of a family agree on
     all greedy ids, with every top1-top2 margin >= MIN_MARGIN and |first logits| <= MAX_LOGIT.

Rerun (from the repository root):

    pip install torch transformers tokenizers sentencepiece protobuf safetensors numpy
    python3 tools/make_fixtures.py

The llama.cpp converter is looked for in $AUTOGLM_LLAMA_CPP_DIR or /tmp/lcp
(…/llama_cpp_python-0.3.36/vendor/llama.cpp). If absent it is fetched with
`pip download --no-deps --no-binary llama-cpp-python llama-cpp-python==0.3.36` and unpacked there.
gguf-py is used from that same unpacked sdist (so the pip `gguf` package is not needed).

(protobuf: transformers needs it to read the SentencePiece tokenizer.model.)

Optional: `--check-llama-cpp` additionally runs every GGUF through llama-cpp-python, if importable
(`pip install llama-cpp-python==0.3.36 diskcache` builds it from source, ~10 min), and logs how its
tokenization (parse_special, no BOS), first logits (F32 KV cache) and greedy ids compare with the
fixtures. It changes no output.

Outputs are byte-for-byte reproducible for the same package versions (tested with torch 2.15 CPU,
transformers 5.23, tokenizers 0.23, sentencepiece 0.2.3).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import llama_cpp_converter  # noqa: E402  (tools/llama_cpp_converter.py)

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "Tests" / "Fixtures"
LCP_VERSION = llama_cpp_converter.LCP_VERSION
QTYPES = ("f32", "f16", "q8_0")
N_GREEDY = 32
MIN_MARGIN = 0.3          # smallest top1-top2 logit gap over the greedy steps, every reference
MAX_LOGIT = 30.0          # largest |first logit| allowed in any reference
MIN_DISTINCT = 8          # greedy runs that cycle through fewer tokens are rejected
PROMPT_TEXT = "The quick brown fox jumps over the lazy dog."

# ----------------------------------------------------------------------------------------------
# Training text: written for this project (English, Chinese, code, numbers, emoji).
# ----------------------------------------------------------------------------------------------
CORPUS = r"""
The quick brown fox jumps over the lazy dog. The dog did not move; it was far too lazy to care.
A small model runs on the board in the car. It reads the weights from a file, maps them into memory,
and answers the driver's questions while the engine is running. When the car is switched off, the
daemon writes a checkpoint, and when it starts again it goes on where it was.
I'll tell you what I think: don't trust a number you haven't checked. They're right, we've seen it,
you'd better test it twice. She's here, he's there, it's fine. We'll see. I'm sure you'll agree.
THE END IS NEAR, SAID THE SIGN. WE'RE NOT READY. YOU'RE LATE. I'VE GOT IT. THEY'LL COME.
Numbers: 0 1 2 3 4 5 6 7 8 9 10 42 100 128 256 512 1024 2048 4096 12345 3.14 2.718 1,000,000 0.5
The year 2024 had 366 days. Pi is about 3.14159, and e is about 2.71828. Call 555-0199 at 10:30.
Temperature outside: -5 degrees; inside: 21.5 degrees. Speed: 120 km/h. Battery at 87%.
Please open the window. Please close the window. Turn on the radio. Turn off the lights.
Navigate to the nearest charging station. How far is it to the next town? About 35 kilometres.
What is the weather like tomorrow? It will rain in the morning and clear up in the afternoon.
Once upon a time there was a little robot who lived in a car. Every morning it said good morning.
你好，世界！今天天气很好。我们去公园散步吧。
我想在苹果公司工作一千三百一十四天。模型在车里运行，回答司机的问题。
请打开车窗。请关闭车窗。打开收音机。关掉灯。导航到最近的充电站。
中文分词测试：模型、推理、量化、张量、内存、检查点。明天会下雨吗？不会，明天是晴天。
人工智能正在改变我们的生活。小模型也能做很多事情。你好你好你好，谢谢谢谢。
def add(a, b):
	return a + b

def main():
	for i in range(10):
		if i % 2 == 0:
			print("even", i)
		else:
			print("odd", i)

int main(void) {
    int x = 42;
    printf("%d\n", x);
    return 0;
}

let values = [1, 2, 3].map { $0 * 2 }
if x >= 10 && y <= 20 { return x - y }
func forward(_ input: [Float]) -> [Float] { input.map { $0 * 0.5 } }
{"name": "autoglm", "version": "0.1.0", "layers": 2, "vocab": 411}
Emoji: 🚀 🦙 😀 😂 👍 👍🏽 ❤️ 🔥 ✅ 🌧️ ☀️ 🚗 🔋 👨‍👩‍👧‍👦 🏳️‍🌈 😶‍🌫️ 🎉🎉🎉
Good morning! 早上好！ Good night! 晚安！ Thank you! 谢谢！ See you later! 再见！
    four spaces before this line, and two  spaces  between  these  words.
Tabs	and	more	tabs.		Two tabs.
"""


def corpus_lines() -> list[str]:
    # The corpus repeated with small variations so that merges have counts to work with.
    base = CORPUS.strip("\n").split("\n")
    out = []
    for rep in range(3):
        for i, line in enumerate(base):
            out.append(line if rep == 0 else (line.lower() if (i + rep) % 3 == 0 else line))
    return out


# ----------------------------------------------------------------------------------------------
# Pre-tokenizer regexes, as in the original models' tokenizer.json files.
# ----------------------------------------------------------------------------------------------
LLAMA3_RE = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
             r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_RE = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
            r"|\s*[\r\n]+|\s+(?!\S)|\s+")
GLM4_RE = LLAMA3_RE  # GLM-4 (glm-4-9b-hf, GLM-4-9B-0414) uses the same split regex as Llama-3

LLAMA3_SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                   "<|eot_id|>"]
QWEN2_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
GLM_SPECIALS = ["<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>", "<|system|>", "<|user|>",
                "<|assistant|>", "<|observation|>"]
GPT2_SPECIALS = ["<|endoftext|>"]

# name -> (regex or None for GPT-2's built-in ByteLevel regex, NFC?, ignore_merges, specials,
#          trainer vocab size (before specials), intended tokenizer.ggml.pre)
BPE_TOKENIZERS = {
    "llama-bpe": dict(regex=LLAMA3_RE, nfc=False, ignore_merges=True, specials=LLAMA3_SPECIALS,
                      train_size=406, pre="llama-bpe"),
    "qwen2": dict(regex=QWEN2_RE, nfc=True, ignore_merges=False, specials=QWEN2_SPECIALS,
                  train_size=430, pre="qwen2"),
    "glm4": dict(regex=GLM4_RE, nfc=False, ignore_merges=True, specials=GLM_SPECIALS,
                 train_size=409, pre="glm4"),
    # llama.cpp's name for the GPT-2 pre-tokenizer is "gpt-2" (llama-vocab.cpp knows no "gpt2").
    "gpt2": dict(regex=None, nfc=False, ignore_merges=False, specials=GPT2_SPECIALS,
                 train_size=340, pre="gpt-2"),
}

SPECIAL_CASES = {
    "llama-bpe": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|>"
                 "<|start_header_id|>assistant<|end_header_id|>\n\n<|end_of_text|>",
    "qwen2": "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\n你好<|im_end|>\n"
             "<|im_start|>assistant\n<|endoftext|>",
    "glm4": "[gMASK]<sop><|system|>\nYou are helpful.<|user|>\n你好<|assistant|>\nHi!<|observation|>"
            "[MASK][sMASK]<eop><|endoftext|>",
    "gpt2": "Hello<|endoftext|>world <|endoftext|> again",
    "spm": "<s>Hello</s> world <s> again",
}

# The string llama.cpp's converter hashes to fingerprint a pre-tokenizer: a good stress case.
LLAMA_CPP_CHKTXT = ('\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis '
                    'concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 '
                    'កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български '
                    '\'\'\'\'\'\'```````""""......!!!!!!?????? I\'ve been \'told he\'s there, \'RE you sure? '
                    '\'M not sure I\'ll make it, \'D you like some tea? We\'Ve a\'lL')

COMMON_CASES = [
    "",
    " ",
    "\n\n\n",
    "Hello",
    " Hello world",
    "Hello, world! 你好，世界。 The year 2024 had 12345 visitors; π ≈ 3.14.\n"
    "I'll say it: don't panic, 'RE we there? WE'LL SEE... 我想在apple工作1314151天～",
    "Emoji: 🦙🚀 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️‍🔥 😶‍🌫️ 👍🏽 ok ✅",
    "def add(a, b):\n\treturn a + b\n\nif x  >=  10:\n\t\tprint(\"tabs\\tand  spaces\")\n",
    "a  b   c    d\n\n  e \t f\r\n g    \n\n\n   end   ",
    "12345 3.14 007 1,000,000 2^10=1024 123456789",
    "I'll don't 'RE they've she'd WE'VE it's O'Neil 'm 'D",
    "中文分词测试：模型、推理、量化。明天会下雨吗？",
    "    indented\n\t\ttabbed\n  \n",
    LLAMA_CPP_CHKTXT,
]

# ----------------------------------------------------------------------------------------------
# Model families. Shapes are odd on purpose (see README).
# ----------------------------------------------------------------------------------------------
# logits: lm_head N(0, LOGIT_STD²/hidden), so the first logits have std ~LOGIT_STD and max |.| ~3.3x that
LOGIT_STD = 9.0
FAMILIES = {
    "llama": dict(hf_class="LlamaForCausalLM", tokenizer="llama-bpe", hidden=64, heads=4, kv_heads=2,
                  head_dim=48, ffn=176, layers=2, tied=False, partial_rotary=1.0,
                  rope={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                        "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
                  logit_std=LOGIT_STD, seed=1060),
    # llama.cpp's qwen2 graph needs head_dim == hidden / heads (it checks attn_q is n_embd x n_embd)
    "qwen2": dict(hf_class="Qwen2ForCausalLM", tokenizer="qwen2", hidden=64, heads=2, kv_heads=1,
                  head_dim=32, ffn=192, layers=3, tied=True, partial_rotary=1.0,
                  rope={"rope_type": "default", "rope_theta": 1000000.0},
                  logit_std=LOGIT_STD, seed=2160),
    "glm": dict(hf_class="GlmForCausalLM", tokenizer="glm4", hidden=96, heads=3, kv_heads=1,
                head_dim=32, ffn=160, layers=2, tied=False, partial_rotary=0.5,
                # the chatglm converter always writes rope base 10000 (times rope_ratio)
                rope={"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5},
                logit_std=LOGIT_STD, seed=3040),
    "glm4": dict(hf_class="Glm4ForCausalLM", tokenizer="glm4", hidden=64, heads=2, kv_heads=1,
                 head_dim=80, ffn=200, layers=2, tied=False, partial_rotary=0.5,
                 rope={"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5},
                 logit_std=LOGIT_STD, seed=4110),
    "llama-spm": dict(hf_class="LlamaForCausalLM", tokenizer="spm", hidden=64, heads=4, kv_heads=4,
                      head_dim=16, ffn=128, layers=2, tied=False, partial_rotary=1.0,
                      rope={"rope_type": "default", "rope_theta": 10000.0},
                      logit_std=LOGIT_STD, seed=5100),
}
MAX_POS = 256
OUT_GAIN = 2.0
SEED_TRIES = 40
MAX_SEED_TRIES = 150
BIAS_STD = 0.2
TIED_EMB_STD = 0.1


def log(*a):
    print("[make_fixtures]", *a, flush=True)


# ----------------------------------------------------------------------------------------------
# llama.cpp sdist
# ----------------------------------------------------------------------------------------------
def import_gguf(lcp: Path):
    sys.path.insert(0, str(lcp / "gguf-py"))
    import gguf  # noqa: E402
    assert Path(gguf.__file__).resolve().is_relative_to((lcp / "gguf-py").resolve()), gguf.__file__
    return gguf


def convert(lcp: Path, hf_dir: Path, outtype: str, outfile: Path, pre: str, name: str) -> None:
    llama_cpp_converter.convert(lcp, hf_dir, outtype, outfile, pre, name, hf_dir / f"convert-{outtype}.log")


# ----------------------------------------------------------------------------------------------
# Tokenizers
# ----------------------------------------------------------------------------------------------
def train_bpe(name: str, spec: dict, out_dir: Path):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from tokenizers import AddedToken

    tok = Tokenizer(models.BPE(ignore_merges=spec["ignore_merges"], byte_fallback=False))
    if spec["nfc"]:
        tok.normalizer = normalizers.NFC()
    if spec["regex"] is None:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(spec["regex"]), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=spec["train_size"], min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tok.train_from_iterator(corpus_lines(), trainer=trainer)
    # special tokens go at the end of the vocabulary, as in the real models
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in spec["specials"]])
    n = tok.get_vocab_size()
    assert n % 32 != 0, f"{name}: vocab {n} is a multiple of 32"
    cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": MAX_POS,
           "clean_up_tokenization_spaces": False}
    if name == "llama-bpe":
        bos = tok.token_to_id("<|begin_of_text|>")
        tok.post_processor = processors.TemplateProcessing(
            single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B:1",
            special_tokens=[("<|begin_of_text|>", bos)])
        cfg.update(bos_token="<|begin_of_text|>", eos_token="<|end_of_text|>")
    elif name == "qwen2":
        cfg.update(eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    elif name == "glm4":
        tok.post_processor = processors.TemplateProcessing(
            single="[gMASK]:0 <sop>:0 $A:0", pair="[gMASK]:0 <sop>:0 $A:0 $B:1",
            special_tokens=[("[gMASK]", tok.token_to_id("[gMASK]")), ("<sop>", tok.token_to_id("<sop>"))])
        cfg.update(eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    elif name == "gpt2":
        cfg.update(bos_token="<|endoftext|>", eos_token="<|endoftext|>", unk_token="<|endoftext|>")
    out_dir.mkdir(parents=True, exist_ok=True)
    tok.save(str(out_dir / "tokenizer.json"))
    (out_dir / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2))
    return tok


def train_spm(out_dir: Path) -> None:
    import sentencepiece as spm
    out_dir.mkdir(parents=True, exist_ok=True)
    text = out_dir / "spm-train.txt"
    text.write_text("\n".join(corpus_lines()) + "\n", encoding="utf-8")
    # Llama-2-like settings: identity normalisation, keep whitespace, dummy prefix, split digits,
    # byte fallback, whitespace-only pieces allowed.
    spm.SentencePieceTrainer.train(
        input=str(text), model_prefix=str(out_dir / "tokenizer"), model_type="bpe", vocab_size=555,
        character_coverage=0.98, byte_fallback=True, split_digits=True, allow_whitespace_only_pieces=True,
        normalization_rule_name="identity", remove_extra_whitespaces=False, add_dummy_prefix=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=1, shuffle_input_sentence=False,
        hard_vocab_limit=True, minloglevel=2)
    (out_dir / "tokenizer.vocab").unlink()
    text.unlink()
    cfg = {"tokenizer_class": "LlamaTokenizer", "model_max_length": MAX_POS, "bos_token": "<s>",
           "eos_token": "</s>", "unk_token": "<unk>", "add_bos_token": True, "add_eos_token": False,
           "legacy": False, "clean_up_tokenization_spaces": False}
    (out_dir / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2))


def hf_tokenizer(folder: Path):
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(str(folder))


def special_ids(tok) -> dict[str, int]:
    return {t: tok.convert_tokens_to_ids(t) for t in tok.all_special_tokens} | \
        {k: v for k, v in tok.get_added_vocab().items()}


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------
def build_config(family: str, spec: dict, tok):
    import transformers
    vocab = len(tok)
    added = tok.get_added_vocab()
    common = dict(vocab_size=vocab, hidden_size=spec["hidden"], intermediate_size=spec["ffn"],
                  num_hidden_layers=spec["layers"], num_attention_heads=spec["heads"],
                  num_key_value_heads=spec["kv_heads"], head_dim=spec["head_dim"],
                  max_position_embeddings=MAX_POS, rms_norm_eps=1e-5, tie_word_embeddings=spec["tied"],
                  rope_parameters=dict(spec["rope"]), hidden_act="silu", dtype="float32")
    if family == "llama":
        cfg = transformers.LlamaConfig(**common, attention_bias=False, mlp_bias=False,
                                       bos_token_id=added["<|begin_of_text|>"],
                                       eos_token_id=added["<|end_of_text|>"], pad_token_id=None)
    elif family == "llama-spm":
        cfg = transformers.LlamaConfig(**common, attention_bias=False, mlp_bias=False,
                                       bos_token_id=1, eos_token_id=2, pad_token_id=None)
    elif family == "qwen2":
        cfg = transformers.Qwen2Config(**common, use_sliding_window=False,
                                       bos_token_id=None, eos_token_id=added["<|endoftext|>"],
                                       pad_token_id=added["<|endoftext|>"])
    elif family == "glm":
        cfg = transformers.GlmConfig(**common, attention_bias=True, pad_token_id=added["<|endoftext|>"],
                                     eos_token_id=[added["<|endoftext|>"], added["<|user|>"],
                                                   added["<|observation|>"]])
    elif family == "glm4":
        cfg = transformers.Glm4Config(**common, attention_bias=True, pad_token_id=added["<|endoftext|>"],
                                      eos_token_id=[added["<|endoftext|>"], added["<|user|>"],
                                                    added["<|observation|>"]])
    else:
        raise ValueError(family)
    cfg.architectures = [spec["hf_class"]]
    return cfg


def make_model(family: str, spec: dict, tok, seed: int):
    import torch
    import transformers
    cfg = build_config(family, spec, tok)
    torch.manual_seed(seed)
    model = getattr(transformers, spec["hf_class"])(cfg).float().eval()
    g = torch.Generator().manual_seed(seed)
    H = spec["hidden"]
    with torch.no_grad():
        for name, p in model.named_parameters():  # tied lm_head is not listed separately
            if name == "model.norm.weight" and spec["tied"]:
                # tied head: small embeddings (else each token predicts itself), so the logit scale
                # comes from the final norm
                scale = spec["logit_std"] / (H ** 0.5 * TIED_EMB_STD)
                p.copy_(scale * (1.0 + 0.1 * torch.randn(p.shape, generator=g)))
            elif name.endswith("norm.weight") or "layernorm" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith("embed_tokens.weight"):
                p.copy_((TIED_EMB_STD if spec["tied"] else 1.0) * torch.randn(p.shape, generator=g))
            elif name.startswith("lm_head"):
                p.copy_(spec["logit_std"] / H ** 0.5 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(BIAS_STD * torch.randn(p.shape, generator=g))
            else:
                assert p.dim() == 2, name
                # sublayer outputs a bit stronger than the embedding, so the layers (and rope) matter
                gain = OUT_GAIN if name.endswith(("o_proj.weight", "down_proj.weight")) else 1.0
                p.copy_(gain * torch.randn(p.shape, generator=g) / p.shape[1] ** 0.5)
    model.config._attn_implementation = "eager"
    return model


def greedy(model, prompt_ids: list[int], n: int = N_GREEDY):
    """Full recompute each step (no cache, no EOS stop): returns ids, first logits (in the model's
    dtype), min top1-top2 gap. A float64 model (see float64_model) runs with float64 softmax."""
    import torch
    ids = list(prompt_ids)
    out, margins, first = [], [], None
    f64 = next(model.parameters()).dtype == torch.float64
    with torch.no_grad(), float64_softmax(f64):
        for step in range(n):
            logits = model(torch.tensor([ids])).logits[0, -1]
            if first is None:
                first = logits.clone()
            top = torch.topk(logits, 2)
            margins.append(float(top.values[0] - top.values[1]))
            nxt = int(top.indices[0])
            out.append(nxt)
            ids.append(nxt)
    return out, first, min(margins)


# transformers' RMSNorm and rotary embedding compute in float32 whatever the model dtype, and eager
# attention takes the softmax in float32; a float64 reference replaces those three by float64 math.
def _rmsnorm64(self, x):
    import torch
    variance = x.pow(2).mean(-1, keepdim=True)
    return self.weight * (x * torch.rsqrt(variance + self.variance_epsilon))


def _rotary64(self, x, position_ids):
    import torch
    # the model's own inv_freq values (float32, as transformers defines them), then float64 math
    freqs = position_ids[..., None].to(torch.float64) * self.inv_freq.to(torch.float64)
    emb = torch.cat((freqs, freqs), dim=-1)
    return (emb.cos() * self.attention_scaling).to(x.dtype), (emb.sin() * self.attention_scaling).to(x.dtype)


class float64_softmax:
    """While active (and enabled), F.softmax(..., dtype=float32) on a float64 input stays float64."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def __enter__(self):
        import torch
        import torch.nn.functional as F
        self.orig = F.softmax
        if self.enabled:
            orig = self.orig

            def softmax(input, dim=None, _stacklevel=3, dtype=None):
                if dtype == torch.float32 and input.dtype == torch.float64:
                    dtype = torch.float64
                return orig(input, dim=dim, _stacklevel=_stacklevel, dtype=dtype)
            F.softmax = softmax
        return self

    def __exit__(self, *exc):
        import torch.nn.functional as F
        F.softmax = self.orig


def float64_model(model):
    """A float64 copy of `model` (same weight values) that computes in float64 throughout."""
    import copy
    import types
    import torch
    m = copy.deepcopy(model).to(torch.float64)
    n = 0
    for mod in m.modules():
        cls = type(mod).__name__
        if cls.endswith("RMSNorm"):
            mod.forward = types.MethodType(_rmsnorm64, mod)
            n += 1
        elif cls.endswith("RotaryEmbedding"):
            assert getattr(mod, "rope_type", "default") in ("default", "llama3"), mod.rope_type
            mod.forward = types.MethodType(_rotary64, mod)
            n += 1
    assert n > 0
    return m


def assert_float64_forward(model, prompt_ids) -> None:
    """Every floating-point tensor any torch function returns during one forward is float64."""
    import torch
    from torch.overrides import TorchFunctionMode

    bad = []

    class Watch(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            for t in (out if isinstance(out, (tuple, list)) else (out,)):
                if isinstance(t, torch.Tensor) and t.is_floating_point() and t.dtype != torch.float64:
                    bad.append(f"{getattr(func, '__name__', func)} -> {t.dtype}")
            return out

    with torch.no_grad(), float64_softmax(), Watch():
        model(torch.tensor([prompt_ids]))
    assert not bad, f"non-float64 tensors in the float64 forward: {sorted(set(bad))[:10]}"


def actq_q8_0(x):
    """The runtime's on-the-fly activation quantization, in float32: per block of 32 along the last dim,
    d = amax/127, id = 1/d (0 if d == 0), q = round-half-away-from-zero(x*id), x_hat = q*d.
    Returns x_hat in x's dtype."""
    import torch
    assert x.shape[-1] % 32 == 0, x.shape
    b = x.to(torch.float32).reshape(-1, 32)
    amax = b.abs().amax(dim=1, keepdim=True)
    d = amax / torch.full_like(amax, 127.0)
    nz = d != 0
    inv = torch.where(nz, torch.ones_like(d) / torch.where(nz, d, torch.ones_like(d)), torch.zeros_like(d))
    v = b * inv
    # round half away from zero exactly (torch.round is half-to-even; sign(v)*floor(|v|+0.5) rounds
    # 0.49999997 up because |v|+0.5 is itself rounded): the fraction v - trunc(v) is exact
    t = torch.trunc(v)
    q = torch.where((v - t).abs() >= 0.5, t + torch.sign(v), t).clamp(-127.0, 127.0)
    return (q * d).reshape(x.shape).to(x.dtype)


def quantize_linear_inputs(model, types: dict[str, str]):
    """Forward pre-hooks: the input of every nn.Linear whose weight is Q8_0 goes through actq_q8_0.
    Returns the handles and the names of the hooked linears."""
    import torch
    handles, names = [], []
    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.Linear) and types[name + ".weight"] == "Q8_0":
            handles.append(mod.register_forward_pre_hook(lambda m, a: (actq_q8_0(a[0]),)))
            names.append(name)
    return handles, names


def predicted_q8_types(model) -> dict[str, str]:
    """What the converter will store in a q8_0 file, per HF tensor: Q8_0 if rows are whole 32-blocks."""
    types = {}
    for name, p in model.state_dict().items():
        if p.dim() <= 1 or name.endswith("norm.weight") or "layernorm" in name:
            types[name] = "F32"
        else:
            types[name] = "Q8_0" if p.shape[-1] % 32 == 0 else "F16"
    return types


def transformed_weights(gguf, model, qtype: str, types: dict[str, str]):
    """HF-space state dict as the GGUF of `qtype` stores it (types: HF name -> GGML type name)."""
    import numpy as np
    import torch
    sd = {}
    for name, p in model.state_dict().items():
        a = p.detach().float().numpy()
        t = types[name]
        if t == "F32":
            b = a
        elif t == "F16":
            b = a.astype(np.float16).astype(np.float32)
        elif t == "Q8_0":
            q = gguf.quants.quantize(a, gguf.GGMLQuantizationType.Q8_0)
            b = gguf.quants.dequantize(q, gguf.GGMLQuantizationType.Q8_0).reshape(a.shape)
        else:
            raise ValueError(t)
        sd[name] = torch.from_numpy(np.ascontiguousarray(b, dtype=np.float32))
    return sd


def types_for(qtype: str, model, q8types: dict[str, str]) -> dict[str, str]:
    if qtype == "f32":
        return {k: "F32" for k in q8types}
    if qtype == "f16":
        return {k: ("F32" if v == "F32" else "F16") for k, v in q8types.items()}
    return dict(q8types)


def round_activations(model, types: dict[str, str]):
    """Forward pre-hooks that round each linear layer's input the way llama.cpp's CPU matmul does
    for the weight's type: Q8_0 blocks of 32 (d = absmax/127 kept as f16) for Q8_0 weights, f16 for F16
    weights. Only used to pick seeds whose greedy ids survive that; not stored in the references."""
    import torch

    def q8(x):
        shape = x.shape
        b = x.reshape(-1, 32)
        d = b.abs().amax(dim=1, keepdim=True) / 127.0
        q = torch.where(d > 0, torch.round(b / torch.where(d > 0, d, torch.ones_like(d))), torch.zeros_like(b))
        return (q * d.half().float()).reshape(shape)

    handles = []
    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.Linear):
            t = types.get(name + ".weight", "F32")
            if t == "Q8_0":
                handles.append(mod.register_forward_pre_hook(lambda m, a: (q8(a[0]),)))
            elif t == "F16":
                handles.append(mod.register_forward_pre_hook(lambda m, a: (a[0].half().float(),)))
    return handles


def references_for(gguf, family, spec, model, prompt_ids, qtypes, float32_check=False):
    """{qtype: refs} in float64 on the weights as each GGUF stores them; for q8_0 also "q8_0_actq" (the
    same, with the runtime's activation quantization in front of every Q8_0 linear). For f16 / q8_0 also
    "<qtype>+act": float32 with llama.cpp-style rounding of the matmul inputs (only for choosing the
    seed). float32_check: also run each type in float32, assert its greedy ids equal float64's, and
    return those float32 runs under "<qtype>@f32"."""
    import copy
    q8types = predicted_q8_types(model)
    refs = {}
    for qt in qtypes:
        m = copy.deepcopy(model)
        types = types_for(qt, model, q8types)
        if spec["tied"]:
            assert types["lm_head.weight"] == types["model.embed_tokens.weight"]
        m.load_state_dict(transformed_weights(gguf, model, qt, types))
        m64 = float64_model(m)
        ids, first, margin = greedy(m64, prompt_ids)
        refs[qt] = dict(greedy_ids=ids, first_logits=first, min_top1_margin=margin)
        if float32_check:
            assert_float64_forward(m64, prompt_ids)
            ids32, first32, margin32 = greedy(m, prompt_ids)
            assert ids32 == ids, f"{family} {qt}: float32 greedy ids differ from float64"
            refs[qt + "@f32"] = dict(greedy_ids=ids32, first_logits=first32, min_top1_margin=margin32)
            log(f"{family} {qt}: float32 vs float64 first logits max diff "
                f"{float((first32.double() - first).abs().max()):.3g}")
        if qt == "q8_0":
            handles, names = quantize_linear_inputs(m64, types)
            ids, first, margin = greedy(m64, prompt_ids)
            refs["q8_0_actq"] = dict(greedy_ids=ids, first_logits=first, min_top1_margin=margin,
                                     linears=names)
            for h in handles:
                h.remove()
        if qt != "f32":
            handles = round_activations(m, types)
            ids, first, margin = greedy(m, prompt_ids)
            refs[qt + "+act"] = dict(greedy_ids=ids, first_logits=first, min_top1_margin=margin)
            for h in handles:
                h.remove()
    return refs


def score(refs) -> tuple[bool, tuple[bool, float], str]:
    """(acceptable, rank, text). Acceptable: >= MIN_DISTINCT different greedy tokens; the greedy ids of
    every reference (f16, q8_0, q8_0_actq) equal f32's for all N_GREEDY steps; max |first logit| of every
    reference <= MAX_LOGIT. Rank: (the llama.cpp-style "+act" runs agree for all steps too, smallest
    top1-top2 margin of the references)."""
    f32 = refs["f32"]
    distinct = len(set(f32["greedy_ids"]))
    ok = distinct >= MIN_DISTINCT
    full, worst, biggest = True, float("inf"), 0.0
    msg = [f"distinct {distinct}"]
    for qt, r in refs.items():
        agree = next((i for i, (x, y) in enumerate(zip(r["greedy_ids"], f32["greedy_ids"])) if x != y), N_GREEDY)
        msg.append(f"{qt} margin {r['min_top1_margin']:.3f} agree {agree}")
        if qt.endswith("+act"):
            full = full and agree == N_GREEDY
        else:
            ok = ok and agree == N_GREEDY
            worst = min(worst, r["min_top1_margin"])
            biggest = max(biggest, float(r["first_logits"].abs().max()))
    ok = ok and biggest <= MAX_LOGIT
    msg.append(f"max |first logit| {biggest:.2f}")
    return ok, (full, worst), ", ".join(msg)


# ----------------------------------------------------------------------------------------------
# GGUF checks
# ----------------------------------------------------------------------------------------------
def gguf_field(reader, key):
    f = reader.fields.get(key)
    if f is None:
        return None
    v = f.contents()
    return v


def llama_permute(w, n_head: int):
    # the Llama converter reorders each head's rows from HF's rotate-half layout to interleaved pairs
    import numpy as np
    rows = w.shape[0]
    return np.ascontiguousarray(
        w.reshape(n_head, 2, rows // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape))


def gguf_tensor_map(gguf, arch_name: str, n_layers: int):
    arch = next(k for k, v in gguf.MODEL_ARCH_NAMES.items() if v == arch_name)
    return gguf.get_tensor_name_map(arch, n_layers)


def check_gguf(gguf, path: Path, family: str, spec: dict, model, qtype: str, q8types: dict[str, str]):
    """Assert every tensor in the GGUF equals the HF-space tensor the reference used. Returns info."""
    import numpy as np
    reader = gguf.GGUFReader(str(path))
    arch = gguf_field(reader, "general.architecture")
    tmap = gguf_tensor_map(gguf, arch, spec["layers"])
    expected = transformed_weights(gguf, model, qtype, types_for(qtype, model, q8types))
    hf_names = {}
    for hf_name in expected:
        g = tmap.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        assert g is not None, f"{path.name}: no GGUF name for {hf_name}"
        hf_names[g] = hf_name
    seen = set()
    types = {}
    extra = {}
    for t in reader.tensors:
        tname = t.name
        types[tname] = (t.tensor_type.name, [int(x) for x in t.shape])
        data = gguf.quants.dequantize(t.data, t.tensor_type)
        if tname not in hf_names:
            extra[tname] = np.asarray(data, dtype=np.float32).reshape(-1)
            continue
        hf_name = hf_names[tname]
        seen.add(hf_name)
        want_type = types_for(qtype, model, q8types)[hf_name]
        assert t.tensor_type.name == want_type, f"{path.name}:{tname} is {t.tensor_type.name}, want {want_type}"
        got = np.asarray(data, dtype=np.float32).reshape(expected[hf_name].shape)
        want = expected[hf_name].numpy()
        if family in ("llama", "llama-spm") and hf_name.endswith(("q_proj.weight", "k_proj.weight")):
            n = spec["heads"] if "q_proj" in hf_name else spec["kv_heads"]
            want = llama_permute(want, n)
        assert np.array_equal(got, want), f"{path.name}:{tname} differs from HF-space {hf_name}"
    tied = spec["tied"]
    missing = set(expected) - seen - ({"lm_head.weight"} if tied else set())
    assert not missing, f"{path.name}: HF tensors not in GGUF: {missing}"
    return reader, types, extra


def gguf_metadata(reader) -> dict:
    md = {}
    for key, f in reader.fields.items():
        if key.startswith("GGUF.") or key in ("tokenizer.ggml.tokens", "tokenizer.ggml.merges",
                                               "tokenizer.ggml.token_type", "tokenizer.ggml.scores"):
            continue
        md[key] = f.contents()
    return md


def special_token_types(reader) -> dict[str, int]:
    """Tokens whose type is not NORMAL (1); the 256 <0xXX> BYTE tokens of an SPM vocab are summarised."""
    toks = gguf_field(reader, "tokenizer.ggml.tokens")
    types = gguf_field(reader, "tokenizer.ggml.token_type")
    out, nbytes = {}, 0
    for tok, ty in zip(toks, types):
        if int(ty) == 6 and len(tok) == 6 and tok.startswith("<0x"):
            nbytes += 1
        elif int(ty) != 1:
            out[tok] = int(ty)
    if nbytes:
        out[f"<0x00>..<0xFF> ({nbytes} tokens)"] = 6
    return out


# ----------------------------------------------------------------------------------------------
# gpt2 vocabulary-only GGUF
# ----------------------------------------------------------------------------------------------
def write_gpt2_gguf(gguf, hf_dir: Path, out: Path) -> None:
    tj = json.loads((hf_dir / "tokenizer.json").read_text())
    vocab = tj["model"]["vocab"]
    added = {a["content"]: a["id"] for a in tj["added_tokens"]}
    n = max(list(vocab.values()) + list(added.values())) + 1
    tokens = [None] * n
    types = [gguf.TokenType.NORMAL] * n
    for t, i in vocab.items():
        tokens[i] = t
    for t, i in added.items():
        tokens[i] = t
        types[i] = gguf.TokenType.CONTROL
    assert all(t is not None for t in tokens)
    merges = [m if isinstance(m, str) else " ".join(m) for m in tj["model"]["merges"]]
    w = gguf.GGUFWriter(str(out), arch="llama")
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name("autoglm-fixture-gpt2-vocab")
    w.add_vocab_size(n)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    eot = added["<|endoftext|>"]
    w.add_bos_token_id(eot)
    w.add_eos_token_id(eot)
    w.add_add_bos_token(False)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# ----------------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------------
def to_json_floats(t) -> list[float]:
    return [float(x) for x in t.double().numpy()]


def spm_gguf_ids(sp, tok, text: str) -> list[int]:
    """What llama.cpp's SPM tokenizer gives for the GGUF (parse_special, no BOS): the text is split at
    special tokens and every text piece gets SentencePiece's dummy-prefix space (llama.cpp adds it to a
    piece that starts the text or follows a special token), i.e. sentencepiece on each piece."""
    specials = sorted(tok.all_special_tokens, key=len, reverse=True)
    ids, i, start = [], 0, 0
    while i <= len(text):
        hit = next((s for s in specials if text.startswith(s, i)), None) if i < len(text) else None
        if hit is None and i < len(text):
            i += 1
            continue
        if i > start:
            ids += sp.encode(text[start:i])
        if hit is None:
            break
        ids.append(tok.convert_tokens_to_ids(hit))
        i += len(hit)
        start = i
    return ids


def tokenizer_cases(name: str, tok, sp=None) -> list[dict]:
    cases = list(COMMON_CASES) + [SPECIAL_CASES[name]]
    out = []
    for text in cases:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        case = {"text": text, "ids": ids}
        if sp is not None:
            g = spm_gguf_ids(sp, tok, text)
            if g != ids:
                case["gguf_ids"] = g
        out.append(case)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=FIXTURES, help="output folder (default Tests/Fixtures)")
    ap.add_argument("--keep-temp", action="store_true", help="keep the HF folders (prints where)")
    ap.add_argument("--only", nargs="*", help="families to build (default: all)")
    ap.add_argument("--check-llama-cpp", action="store_true",
                    help="also compare with llama-cpp-python, if importable (no output changes)")
    args = ap.parse_args()

    import numpy as np
    import torch
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    lcp = llama_cpp_converter.llama_cpp_dir(log)
    gguf = import_gguf(lcp)

    out_models = args.out / "models"
    out_tok = args.out / "tokenizer"
    out_models.mkdir(parents=True, exist_ok=True)
    out_tok.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="autoglm-fixtures-"))
    log(f"work dir {work}")

    # --- tokenizers -------------------------------------------------------------------------
    tok_dirs = {}
    hf_toks = {}
    for name, spec in BPE_TOKENIZERS.items():
        d = work / "tok" / name
        raw = train_bpe(name, spec, d)
        tok_dirs[name] = d
        hf = hf_tokenizer(d)
        hf_toks[name] = hf
        for text in list(COMMON_CASES) + [SPECIAL_CASES[name], PROMPT_TEXT]:
            a = hf(text, add_special_tokens=False)["input_ids"]
            b = raw.encode(text, add_special_tokens=False).ids
            assert a == b, f"{name}: AutoTokenizer and tokenizers disagree on {text!r}"
        log(f"tokenizer {name}: vocab {len(hf)}")
    d = work / "tok" / "spm"
    train_spm(d)
    tok_dirs["spm"] = d
    hf_toks["spm"] = hf_tokenizer(d)
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=str(d / "tokenizer.model"))
    spm_mismatch = []
    for text in list(COMMON_CASES) + [PROMPT_TEXT]:
        a = hf_toks["spm"](text, add_special_tokens=False)["input_ids"]
        b = sp.encode(text)
        if a != b:
            spm_mismatch.append(text)
    log(f"tokenizer spm: vocab {len(hf_toks['spm'])} (sentencepiece {sp.get_piece_size()}), "
        f"HF != sentencepiece on {len(spm_mismatch)} cases: {[t[:20] for t in spm_mismatch]}")
    assert len(hf_toks["spm"]) % 32 != 0
    assert PROMPT_TEXT not in spm_mismatch

    # --- models -----------------------------------------------------------------------------
    families = args.only or list(FAMILIES)
    readme_rows = {}
    for family in families:
        spec = FAMILIES[family]
        tname = spec["tokenizer"]
        tok = hf_toks[tname]
        prompt_ids = tok(PROMPT_TEXT, add_special_tokens=False)["input_ids"]
        qtypes = ("f32",) if family == "llama-spm" else QTYPES
        # seed search: try at least SEED_TRIES seeds (more, up to MAX_SEED_TRIES, until one is good) and
        # keep the best acceptable one (see score): greedy ids of every reference equal to f32's for all
        # steps, max |first logit| <= MAX_LOGIT, preferably the llama.cpp-style runs too, then the largest
        # smallest top1-top2 margin; good = all that and a margin >= MIN_MARGIN
        chosen = None
        for attempt in range(MAX_SEED_TRIES):
            if attempt >= SEED_TRIES and chosen is not None and chosen[0][0] and chosen[0][1] >= MIN_MARGIN:
                break
            seed = spec["seed"] + attempt
            model = make_model(family, spec, tok, seed)
            refs = references_for(gguf, family, spec, model, prompt_ids, qtypes)
            ok, rank, msg = score(refs)
            log(f"{family} seed {seed}: {msg}")
            if ok and (chosen is None or rank > chosen[0]):
                chosen = (rank, seed, model, refs)
        assert chosen is not None, f"{family}: no seed met the targets"
        rank, seed, model, search_refs = chosen
        log(f"{family}: using seed {seed}")
        # again, now also in float32: float64 and float32 greedy ids must agree for every step
        refs = references_for(gguf, family, spec, model, prompt_ids, qtypes, float32_check=True)
        for k, r in refs.items():
            if "@" not in k:
                assert r["greedy_ids"] == search_refs[k]["greedy_ids"] and \
                    torch.equal(r["first_logits"], search_refs[k]["first_logits"]), f"{family} {k}: not deterministic"
        f32 = refs["f32"]
        for k, r in refs.items():
            if "+act" in k:
                continue
            assert r["greedy_ids"] == f32["greedy_ids"], f"{family} {k}: greedy ids differ from f32"
            assert r["min_top1_margin"] >= MIN_MARGIN, f"{family} {k}: margin {r['min_top1_margin']}"
            assert float(r["first_logits"].abs().max()) <= MAX_LOGIT, f"{family} {k}: logits too large"
        if "q8_0_actq" in refs:
            a, b = refs["q8_0_actq"], refs["q8_0"]
            agree = next((i for i, (x, y) in enumerate(zip(a["greedy_ids"], b["greedy_ids"])) if x != y), N_GREEDY)
            actq_vs_q8 = dict(max_diff=float((a["first_logits"] - b["first_logits"]).abs().max()), agree=agree,
                              linears=len(a["linears"]))
            log(f"{family}: q8_0_actq vs q8_0: max |d first logit| {actq_vs_q8['max_diff']:.4f}, greedy agree "
                f"{agree}/{N_GREEDY}, {len(a['linears'])} linears quantize their input")
        else:
            actq_vs_q8 = None

        hf_dir = work / "hf" / family
        model.save_pretrained(str(hf_dir), safe_serialization=True)
        for f in tok_dirs[tname].iterdir():
            if f.is_file():
                shutil.copy(f, hf_dir / f.name)
        if family == "glm":
            # the chatglm converter takes context_length from seq_length (else it writes hidden_size)
            cj = json.loads((hf_dir / "config.json").read_text())
            cj["seq_length"] = MAX_POS
            (hf_dir / "config.json").write_text(json.dumps(cj, indent=2))
        # reload from disk to make sure the saved folder is what the references describe
        import transformers
        reloaded = getattr(transformers, spec["hf_class"]).from_pretrained(str(hf_dir), dtype=torch.float32)
        reloaded.config._attn_implementation = "eager"
        reloaded.eval()
        ids2, first2, _ = greedy(reloaded, prompt_ids)
        f32r = refs["f32@f32"]
        assert ids2 == f32r["greedy_ids"] and torch.equal(first2, f32r["first_logits"]), f"{family}: reload differs"

        q8types = predicted_q8_types(model)
        pre_wanted = None if tname == "spm" else BPE_TOKENIZERS[tname]["pre"]
        info = {}
        for qt in qtypes:
            out = out_models / f"{family}-{qt}.gguf"
            convert(lcp, hf_dir, qt, out, pre_wanted or "default", f"autoglm-fixture-{family}")
            reader, types, extra = check_gguf(gguf, out, family, spec, model, qt, q8types)
            pre = gguf_field(reader, "tokenizer.ggml.pre")
            tm = gguf_field(reader, "tokenizer.ggml.model")
            if tname == "spm":
                assert tm == "llama", tm
            else:
                assert tm == "gpt2" and pre == pre_wanted, f"{out.name}: model {tm} pre {pre}"
            info[qt] = dict(reader=reader, types=types, extra=extra, size=out.stat().st_size)
            log(f"{out.name}: {out.stat().st_size} bytes, pre {pre}, arch {gguf_field(reader, 'general.architecture')}")
        reader = info["f32"]["reader"]
        arch = gguf_field(reader, "general.architecture")
        ref_names = list(qtypes) + (["q8_0_actq"] if "q8_0" in qtypes else [])
        ref = {"family": family, "hf_class": spec["hf_class"], "gguf_arch": arch,
               "prompt_text": PROMPT_TEXT, "prompt_ids": prompt_ids,
               "references": {k: {"greedy_ids": refs[k]["greedy_ids"],
                                  "first_logits": to_json_floats(refs[k]["first_logits"]),
                                  "min_top1_margin": round(refs[k]["min_top1_margin"], 6)}
                              for k in ref_names}}
        (out_models / f"{family}.reference.json").write_text(json.dumps(ref) + "\n")
        readme_rows[family] = dict(spec=spec, seed=seed, info=info, vocab=len(tok), arch=arch,
                                   prompt_len=len(prompt_ids),
                                   margins={k: r["min_top1_margin"] for k, r in refs.items()},
                                   maxlogit={k: float(r["first_logits"].abs().max()) for k, r in refs.items()},
                                   actq=actq_vs_q8,
                                   md=gguf_metadata(reader), specials=special_token_types(reader),
                                   pre=gguf_field(reader, "tokenizer.ggml.pre"))

    # --- tokenizer fixtures -----------------------------------------------------------------
    tok_gguf = {"llama-bpe": "models/llama-f32.gguf", "qwen2": "models/qwen2-f32.gguf",
                "glm4": "models/glm4-f32.gguf", "gpt2": "models/tokenizer-gpt2.gguf",
                "spm": "models/llama-spm-f32.gguf"}
    write_gpt2_gguf(gguf, tok_dirs["gpt2"], out_models / "tokenizer-gpt2.gguf")
    tok_pre = {}
    for name, rel in tok_gguf.items():
        reader = gguf.GGUFReader(str(args.out / rel))
        pre = gguf_field(reader, "tokenizer.ggml.pre")
        want = BPE_TOKENIZERS[name]["pre"] if name in BPE_TOKENIZERS else "default"
        assert pre == want, f"{rel}: pre {pre}, want {want}"
        toks = gguf_field(reader, "tokenizer.ggml.tokens")
        assert len(toks) == len(hf_toks[name]), f"{rel}: {len(toks)} tokens, HF {len(hf_toks[name])}"
        tok_pre[name] = pre
        fx = {"gguf": rel, "pre": pre}
        if name == "spm":
            fx["note"] = ("ids: HF LlamaTokenizer (Metaspace prepend_scheme 'first': no dummy-prefix space when "
                          "the text already starts with a space or follows a special token). gguf_ids, where "
                          "different: SentencePiece / llama.cpp, which always add it to each text piece.")
        fx["cases"] = tokenizer_cases(name, hf_toks[name], sp if name == "spm" else None)
        (out_tok / f"{name}.json").write_text(json.dumps(fx, ensure_ascii=False, indent=1) + "\n")

    write_readme(args.out, readme_rows, tok_pre, hf_toks, spm_mismatch)

    if args.check_llama_cpp:
        check_with_llama_cpp(args.out, tok_gguf)

    total = sum(f.stat().st_size for f in [args.out / "README.md", *out_models.iterdir(), *out_tok.iterdir()])
    log(f"total fixture size {total} bytes")
    assert total < 15 * 1024 * 1024
    if args.keep_temp:
        log(f"kept {work}")
    else:
        shutil.rmtree(work)


# ----------------------------------------------------------------------------------------------
# README
# ----------------------------------------------------------------------------------------------
def write_readme(out: Path, rows: dict, tok_pre: dict, hf_toks: dict, spm_mismatch: list) -> None:
    L = []
    L.append("# Test fixtures")
    L.append("")
    L.append("`models/`, `tokenizer/` and this file are generated by `python3 tools/make_fixtures.py` (see its "
             "docstring); do not edit by hand. (`bad-gguf/` comes from `tools/make_bad_gguf.py`.)")
    L.append("Random-weight tiny models, converted by llama.cpp's `convert_hf_to_gguf.py` (llama-cpp-python "
             f"{LCP_VERSION} sdist), with transformers float64 references.")
    L.append("")
    L.append("## Models")
    L.append("")
    L.append("| family | HF class | GGUF arch | hidden | heads | kv heads | head_dim | rope dims | ffn | layers "
             "| vocab | tied | tokenizer pre | seed |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for fam, r in rows.items():
        s = r["spec"]
        rope_dims = int(s["head_dim"] * s["partial_rotary"])
        L.append(f"| {fam} | {s['hf_class']} | {r['arch']} | {s['hidden']} | {s['heads']} | {s['kv_heads']} "
                 f"| {s['head_dim']} | {rope_dims} | {s['ffn']} | {s['layers']} | {r['vocab']} "
                 f"| {'yes' if s['tied'] else 'no'} | {r['pre']} | {r['seed']} |")
    L.append("")
    L.append("Rope: " + "; ".join(f"{f}: {json.dumps(r['spec']['rope'])}" for f, r in rows.items()) + ".")
    tied_scale = LOGIT_STD / (FAMILIES["qwen2"]["hidden"] ** 0.5 * TIED_EMB_STD)
    L.append(f"Weights: RMSNorm weights 1 + 0.1·N(0,1); biases (qwen2, glm, glm4 QKV) {BIAS_STD}·N(0,1); linear "
             f"weights N(0, 1/fan_in), o_proj/down_proj ×{OUT_GAIN}; embeddings N(0,1) and untied lm_head "
             f"N(0, logit_std²/hidden) with logit_std {LOGIT_STD}; tied (qwen2): embeddings "
             f"{TIED_EMB_STD}·N(0,1) and the final norm weights {tied_scale:g}·(1 + 0.1·N(0,1)) so logits have "
             f"about that std. The seed of each family is the best of at least {SEED_TRIES} tried from a base "
             f"(greedy ids of f16, q8_0 and q8_0_actq equal to f32's for all {N_GREEDY} steps, max |first logit| "
             f"<= {MAX_LOGIT:g}, preferably also with llama.cpp-style rounding of the matmul inputs, then the "
             "largest smallest top1-top2 margin of the references).")
    L.append("")
    L.append("## Files")
    L.append("")
    L.append("Per reference: max |first logit| and the smallest top1-top2 margin over the greedy steps; for q8_0 also "
             "the q8_0_actq reference; last column: the margin with llama.cpp-style rounding of the matmul inputs "
             "(float32, used only to choose the seed).")
    L.append("")
    L.append("| file | bytes | max abs first logit | min top1 margin | q8_0_actq: max abs first logit, margin "
             "| llama.cpp-style margin |")
    L.append("|---|---|---|---|---|---|")
    for fam, r in rows.items():
        for qt, inf in r["info"].items():
            actq = (f"{r['maxlogit']['q8_0_actq']:.2f}, {r['margins']['q8_0_actq']:.3f}"
                    if qt == "q8_0" and "q8_0_actq" in r["margins"] else "")
            act = f"{r['margins'][qt + '+act']:.3f}" if qt + "+act" in r["margins"] else ""
            L.append(f"| models/{fam}-{qt}.gguf | {inf['size']} | {r['maxlogit'][qt]:.2f} | {r['margins'][qt]:.3f} "
                     f"| {actq} | {act} |")
        L.append(f"| models/{fam}.reference.json | {(out / 'models' / f'{fam}.reference.json').stat().st_size} "
                 "| | | | |")
    L.append(f"| models/tokenizer-gpt2.gguf | {(out / 'models' / 'tokenizer-gpt2.gguf').stat().st_size} | vocab only "
             "| | | |")
    for name, pre in tok_pre.items():
        L.append(f"| tokenizer/{name}.json | {(out / 'tokenizer' / f'{name}.json').stat().st_size} | pre `{pre}` "
                 "| | | |")
    L.append("")
    L.append("## Tensor types")
    L.append("")
    L.append("f32 files: everything F32. f16 files: every 2-D weight F16, 1-D tensors (norms, biases, rope_freqs) F32. "
             "q8_0 files (a row length that is not a multiple of 32 falls back to F16):")
    L.append("")
    for fam, r in rows.items():
        if "q8_0" not in r["info"]:
            continue
        types = r["info"]["q8_0"]["types"]
        groups = {}
        for name, (ty, shape) in types.items():
            key = name.replace("blk.0.", "blk.N.").replace("blk.1.", "blk.N.").replace("blk.2.", "blk.N.")
            groups.setdefault(key, (ty, shape))
        desc = ", ".join(f"`{k}` {ty} {shape}" for k, (ty, shape) in groups.items())
        L.append(f"- **{fam}**: {desc}")
    L.append("")
    L.append("Shapes above are GGML order (ne0 = row length first).")
    L.append("")
    L.append("## Metadata the converter wrote (f32 files)")
    L.append("")
    for fam, r in rows.items():
        md = {k: v for k, v in r["md"].items() if not k.startswith("general.")}
        L.append(f"- **{fam}**: " + ", ".join(f"`{k}`={json.dumps(v, ensure_ascii=False)}" for k, v in md.items()))
        L.append(f"  - non-normal token types: {json.dumps(r['specials'], ensure_ascii=False)}")
    L.append("")
    L.append("## What a GGUF reader has to know (checked against llama.cpp 0.3.36 with `--check-llama-cpp`)")
    L.append("")
    L.append("- llama: the converter permutes attn_q/attn_k rows per head from HF's rotate-half layout to adjacent "
             "pairs; llama.cpp applies NORM (adjacent-pair) rope to them. Llama-3 scaling is stored only as the "
             "`rope_freqs.weight` tensor (F32, head_dim/2 divisors of the frequencies); no rope.scaling.* keys.")
    L.append("- qwen2: weights unpermuted, NEOX (rotate-half) rope; no bos key (llama.cpp falls back to id 11 but "
             "does not add it). llama.cpp requires head_dim == hidden/heads for qwen2.")
    L.append("- glm (arch chatglm) and glm4: no Q/K permutation, NORM (interleaved-pair) rope on the first "
             "`rope.dimension_count` dims of each head, as HF's GLM does. `ffn_up` is the fused [gate; up] matrix "
             "(2·ffn rows, gate first). chatglm writes no key_length (head_dim = hidden/heads), rope base fixed "
             "10000, context_length from `seq_length` (else it would be hidden_size).")
    L.append("- glm/glm4 files get `add_bos_token`=true and bos = `[gMASK]` (from the tokenizer's [gMASK]<sop> "
             "post-processor); llama.cpp then prepends [gMASK] when asked to add BOS. llama-bpe: add_bos true, "
             "bos <|begin_of_text|>.")
    L.append("- Against llama.cpp's CPU backend (F32 KV cache) the f32 files give the f32 first_logits to ~1e-5; f16 "
             "files differ from their references by up to ~0.03, q8_0 files from q8_0 and from q8_0_actq by up to "
             "~0.5 logits (llama.cpp rounds matmul inputs to f16 / Q8_0 with f16 scales); all greedy ids agree.")
    L.append("")
    L.append("## References (`models/<family>.reference.json`)")
    L.append("")
    L.append(f"`prompt_ids` = HF tokenizer on `prompt_text` with add_special_tokens=False (no BOS). For each reference: "
             f"`first_logits` (logits after the last prompt token, float64 values), `greedy_ids` ({N_GREEDY} greedy "
             "tokens, no EOS stop, full recompute each step) and `min_top1_margin` (smallest top1-top2 gap over those "
             "steps), from transformers in float64 (the weights' values unchanged; RMSNorm, rope cos/sin and the "
             "attention softmax, which transformers keeps in float32, also run in float64) on: the original weights "
             "(`f32`); the weights with the tensors stored as F16 rounded to f16 (`f16`); the weights with the Q8_0 "
             "tensors quantized/dequantized by gguf-py's Q8_0 and the F16 ones rounded (`q8_0`). The script asserts "
             "every GGUF tensor equals that HF-space tensor (Llama Q/K rows permuted as the converter does), and that "
             "float32 runs of the same weights give the same greedy ids for every step.")
    L.append("")
    L.append("`q8_0_actq` (families with a q8_0 file) simulates an integer Q8_0 kernel that quantizes its input on the "
             "fly: the q8_0 weights as above, and the input of every linear whose weight is Q8_0 in the q8_0 file "
             "(lm_head included: `output.weight`, or `token_embd.weight` for tied qwen2, is Q8_0) replaced, in float32, "
             "per row in blocks of 32 along the input dimension, by x̂ = q·d with amax = max |x| of the block, "
             "d = amax/127, id = 1/d (0 if d = 0), q = round-half-away-from-zero(x·id); the rest in float64. Linears "
             "whose weight is F16 in the q8_0 file (row length not a multiple of 32) and the embedding lookup get "
             "no activation quantization. Unlike llama.cpp, d stays float32 (llama.cpp rounds it to f16).")
    L.append("")
    L.append("q8_0_actq against q8_0 (first logits; leading greedy ids that agree): " + "; ".join(
        f"{fam}: max |Δ| {r['actq']['max_diff']:.3f}, {r['actq']['agree']}/{N_GREEDY} ids, "
        f"{r['actq']['linears']} linears quantize their input"
        for fam, r in rows.items() if r.get("actq")) + ".")
    L.append("")
    L.append("## Tokenizers (`tokenizer/<name>.json`)")
    L.append("")
    L.append("`ids` come from `AutoTokenizer` on the HF folder with add_special_tokens=False (special tokens in the "
             "text are matched). Byte-level BPE vocabularies were trained with `tokenizers` on the script's own "
             "text with the real pre-tokenizer regex of each family (Llama-3, Qwen2 + NFC, GLM-4, GPT-2); special "
             "tokens sit at the end of the vocabulary. `spm` is a SentencePiece BPE model (byte_fallback, identity "
             "normalisation, dummy prefix, split digits).")
    if spm_mismatch:
        L.append(f"HF and sentencepiece disagree on {len(spm_mismatch)} spm cases: "
                 + json.dumps(spm_mismatch, ensure_ascii=False))
    L.append("")
    (out / "README.md").write_text("\n".join(L))


# ----------------------------------------------------------------------------------------------
# optional llama.cpp cross-check
# ----------------------------------------------------------------------------------------------
def check_with_llama_cpp(out: Path, tok_gguf: dict) -> None:
    try:
        import llama_cpp
    except ImportError:
        log("llama_cpp not importable: skipping --check-llama-cpp")
        return
    import numpy as np
    log("llama.cpp cross-check")
    for name, rel in tok_gguf.items():
        fx = json.loads((out / "tokenizer" / f"{name}.json").read_text())
        llm = llama_cpp.Llama(str(out / rel), vocab_only=True, verbose=False)
        bad = []
        for c in fx["cases"]:
            ids = llm.tokenize(c["text"].encode("utf-8"), add_bos=False, special=True) if c["text"] else []
            want = c.get("gguf_ids", c["ids"])
            if ids != want:
                bad.append((c["text"][:30], want[:12], ids[:12]))
        log(f"  tokenizer {name}: {len(fx['cases']) - len(bad)}/{len(fx['cases'])} cases equal" +
            (f"; differ: {bad}" if bad else ""))
    for ref_path in sorted((out / "models").glob("*.reference.json")):
        ref = json.loads(ref_path.read_text())
        for qt in QTYPES:
            if qt not in ref["references"]:
                continue
            path = out / "models" / f"{ref['family']}-{qt}.gguf"
            llm = llama_cpp.Llama(str(path), n_ctx=128, n_threads=2, verbose=False, logits_all=False,
                                  type_k=0, type_v=0)  # F32 KV cache
            llm.reset()
            llm.eval(ref["prompt_ids"])
            logits = np.array(llm._ctx.get_logits()[: llm.n_vocab()], dtype=np.float32) \
                if hasattr(llm._ctx, "get_logits") else np.array(llm.scores[llm.n_tokens - 1])
            ids = []
            cur = logits
            for _ in range(N_GREEDY):
                nxt = int(np.argmax(cur))
                ids.append(nxt)
                llm.eval([nxt])
                cur = np.array(llm._ctx.get_logits()[: llm.n_vocab()], dtype=np.float32)
            for name in [qt] + (["q8_0_actq"] if qt == "q8_0" and "q8_0_actq" in ref["references"] else []):
                r = ref["references"][name]
                want = np.array(r["first_logits"], dtype=np.float64)
                agree = next((i for i, (a, b) in enumerate(zip(ids, r["greedy_ids"])) if a != b), N_GREEDY)
                log(f"  {path.name} vs {name}: max|dlogit| {np.abs(logits - want).max():.4g}, "
                    f"greedy agree {agree}/{N_GREEDY}")


if __name__ == "__main__":
    main()
