#!/usr/bin/env python3
"""Writes handcrafted bad (and a few valid edge-case) GGUF files for the reader tests.

Output: Tests/Fixtures/bad-gguf/*.gguf, Tests/Fixtures/bad-gguf/manifest.json, which
maps each file name to what GGUFFile must do with it:
  - a GGUFError case name ("truncated", "countTooLarge", ...): parsing throws
    CoreError.gguf of that case;
  - "valid": parsing succeeds;
  - "model.<case>" (e.g. "model.missingTensor"): a valid GGUF that the model loader
    must reject with that ModelError case.

Rerun from the repository root after changing the fixtures (output is deterministic):
    python3 tools/make_bad_gguf.py
Plain Python 3, no packages: every byte is packed by hand with struct, so a fixture
can say exactly which field is wrong. Tests: Tests/AutoGLMCoreTests/GGUFReaderTests.swift.
"""

import json
import os
import struct

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "bad-gguf")

# Metadata value types (gguf_type).
U8, I8, U16, I16, U32, I32, F32V, BOOL, STR, ARR, U64, I64, F64 = range(13)
# Tensor types (ggml_type) the reader supports.
F32, F16, Q4_0, Q8_0, BF16 = 0, 1, 2, 8, 30
IQ4_NL, Q8_1 = 20, 9  # real ggml types the reader does not support
BLOCK = {F32: (1, 4), F16: (1, 2), BF16: (1, 2), Q8_0: (32, 34), Q4_0: (32, 18), IQ4_NL: (32, 18), Q8_1: (32, 36)}

DEFAULT_ALIGNMENT = 32
UINT64_MAX = (1 << 64) - 1
INT64_MAX = (1 << 63) - 1
MAX_DIMENSION = 1 << 40  # GGUFLimits.maxDimension


# ---- byte packing ---------------------------------------------------------------------

def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)


def gstr(s, length=None):
    """A GGUF string; `length` overrides the stored length (to lie about it)."""
    b = s.encode() if isinstance(s, str) else s
    return u64(len(b) if length is None else length) + b


def scalar(vtype, v):
    fmt = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32V: "<f",
           BOOL: "<B", U64: "<Q", I64: "<q", F64: "<d"}[vtype]
    return struct.pack(fmt, v)


def value(vtype, v):
    """Payload of a value (without its type tag). Arrays are (element_type, [items])."""
    if vtype == STR:
        return gstr(v)
    if vtype == ARR:
        etype, items = v
        return u32(etype) + u64(len(items)) + b"".join(value(etype, x) for x in items)
    return scalar(vtype, v)


def kv(key, vtype, v):
    return gstr(key) + u32(vtype) + value(vtype, v)


def tinfo(name, shape, ttype, offset, n_dims=None):
    n = len(shape) if n_dims is None else n_dims
    return gstr(name) + u32(n) + b"".join(u64(d) for d in shape) + u32(ttype) + u64(offset)


def header(n_tensors, n_kv, magic=b"GGUF", version=3):
    return magic + u32(version) + u64(n_tensors) + u64(n_kv)


def pad_to(n, alignment):
    return (n + alignment - 1) // alignment * alignment


def tensor_bytes(shape, ttype):
    block, size = BLOCK[ttype]
    rows = 1
    for d in shape[1:]:
        rows *= d
    return shape[0] // block * size * rows


def assemble(kvs, infos, data, n_tensors=None, n_kv=None, alignment=DEFAULT_ALIGNMENT, pad=True):
    """Header + metadata + tensor infos, padding to `alignment`, then `data`."""
    head = header(len(infos) if n_tensors is None else n_tensors,
                  len(kvs) if n_kv is None else n_kv) + b"".join(kvs) + b"".join(infos)
    if pad:
        head += b"\0" * (pad_to(len(head), alignment) - len(head))
    return head + data


def pattern(n, seed=1):
    """Deterministic non-zero filler so data bytes are recognisable."""
    out, x = bytearray(n), seed
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out[i] = (x >> 16) & 0xFF
    return bytes(out)


# ---- the base file every bad variant starts from --------------------------------------

# Long enough that every count check passes before the point where a fixture breaks it.
BASE_KVS = [
    kv("general.architecture", STR, "test"),
    kv("general.name", STR, "Open-AutoGLM bad-gguf base fixture"),
    kv("test.count", U32, 7),
    kv("test.tokens", ARR, (STR, ["<s>", "</s>", "hello", "world"])),
]
A = ("a", [8], F32)        # 32 bytes at 0
B = ("b", [32, 2], Q8_0)   # 68 bytes at 32
BASE_INFOS = [tinfo(*A, 0), tinfo(*B, 32)]
BASE_DATA = pattern(32 + tensor_bytes(B[1], B[2]))


def base(kvs=None, infos=None, data=None, **kw):
    return assemble(BASE_KVS if kvs is None else kvs, BASE_INFOS if infos is None else infos,
                    BASE_DATA if data is None else data, **kw)


def with_tensor(shape, ttype=F32, offset=0, name="t", n_dims=None):
    """The base metadata and one tensor, with enough data for a small valid tensor."""
    return base(infos=[tinfo(name, shape, ttype, offset, n_dims)], data=pattern(64))


def header_end():
    return len(header(2, len(BASE_KVS)) + b"".join(BASE_KVS) + b"".join(BASE_INFOS))


def offset_of(marker, occurrence=1):
    """Offset of the n-th occurrence of `marker` in the base file."""
    blob, at = base(), -1
    for _ in range(occurrence):
        at = blob.index(marker, at + 1)
    return at


# ---- fixtures -------------------------------------------------------------------------

def fixtures():
    f = {}  # name -> (bytes, expected)
    whole = base()

    # Truncations, at several points of the layout.
    f["empty.gguf"] = (b"", "truncated")
    f["truncated-in-magic.gguf"] = (b"GG", "truncated")
    f["truncated-in-version.gguf"] = (b"GGUF\x03\x00", "truncated")
    f["truncated-in-kv-count.gguf"] = (whole[:19], "truncated")
    f["truncated-mid-key.gguf"] = (whole[:offset_of(b"test.tokens") + 3], "truncated")
    f["truncated-mid-string-value.gguf"] = (whole[:offset_of(b"world") + 2], "truncated")
    # Tensor b's name and n_dims, then cut inside its first dimension.
    b_info = gstr("b") + u32(2)
    f["truncated-mid-tensor-info.gguf"] = (whole[:offset_of(b_info) + len(b_info) + 4], "truncated")
    end = header_end()
    assert pad_to(end, DEFAULT_ALIGNMENT) > end + 1, "base header must need padding"
    f["truncated-in-padding.gguf"] = (whole[:end + 1], "truncated")
    data_start = pad_to(end, DEFAULT_ALIGNMENT)
    f["truncated-mid-tensor-data.gguf"] = (whole[:data_start + 50], "tensorOutOfBounds")

    # Wrong identity.
    f["bad-magic.gguf"] = (b"GGML" + whole[4:], "badMagic")
    f["bad-version-1.gguf"] = (whole[:4] + u32(1) + whole[8:], "unsupportedVersion")
    f["bad-version-big-endian.gguf"] = (whole[:4] + struct.pack(">I", 3) + whole[8:], "unsupportedVersion")

    # Counts and lengths near Int.max / UInt64.max, or past what the file holds.
    f["tensor-count-uint64-max.gguf"] = (base(n_tensors=UINT64_MAX), "countTooLarge")
    f["tensor-count-int-max.gguf"] = (base(n_tensors=INT64_MAX), "countTooLarge")
    f["tensor-count-exceeds-file.gguf"] = (base(n_tensors=1000), "countPastEndOfFile")
    f["kv-count-uint64-max.gguf"] = (base(n_kv=UINT64_MAX), "countTooLarge")
    f["kv-count-int-max.gguf"] = (base(n_kv=INT64_MAX), "countTooLarge")
    arr_head = gstr("test.big") + u32(ARR)
    f["array-count-uint64-max.gguf"] = (base(kvs=[arr_head + u32(U8) + u64(UINT64_MAX)]), "countTooLarge")
    f["array-count-int-max-nested.gguf"] = (base(kvs=[arr_head + u32(ARR) + u64(INT64_MAX)]), "countTooLarge")
    f["array-count-exceeds-file.gguf"] = (base(kvs=[arr_head + u32(U32) + u64(100_000)]), "countPastEndOfFile")
    f["string-length-uint64-max.gguf"] = (
        base(kvs=[gstr("test.s") + u32(STR) + u64(UINT64_MAX) + b"abc"]), "countTooLarge")
    f["key-length-int-max.gguf"] = (base(kvs=[u64(INT64_MAX) + b"key"]), "countTooLarge")
    f["key-too-long.gguf"] = (base(kvs=[u64(70_000) + b"key"]), "countTooLarge")
    f["string-length-past-eof.gguf"] = (
        base(kvs=BASE_KVS + [gstr("test.s") + u32(STR) + u64(100_000) + b"abc"], infos=[], data=b"", pad=False),
        "truncated")
    f["tensor-name-too-long.gguf"] = (with_tensor([8], name="n" * 65), "countTooLarge")

    # Keys under the 65535-byte cap but hostile to print: 47 KB, half NULs, with escape
    # sequences; the error naming them must stay one short printable line.
    f["long-key-nuls-unknown-type.gguf"] = (base(kvs=[gstr(LONG_KEY) + u32(13) + u32(0)] + BASE_KVS), "unknownValueType")
    f["long-key-nuls-truncated-value.gguf"] = (header(0, 1) + gstr(LONG_KEY) + u32(U32) + b"\1\2", "truncated")

    # Types the reader does not know, or values a type cannot hold.
    f["unknown-value-type.gguf"] = (base(kvs=[gstr("test.x") + u32(13) + u32(0)] + BASE_KVS), "unknownValueType")
    f["unknown-array-element-type.gguf"] = (
        base(kvs=[arr_head + u32(0xFFFFFFFF) + u64(0)] + BASE_KVS), "unknownValueType")
    # Complete files (data and all), so `autoglm inspect` can still list them.
    f["unknown-tensor-type.gguf"] = (base(infos=[tinfo("t", [256], IQ4_NL, 0)], data=pattern(144)), "unknownTensorType")
    f["llama-model-iq4_nl-q8_1-ffn.gguf"] = (
        llama_model(retype={"blk.0.ffn_gate.weight": IQ4_NL, "blk.0.ffn_up.weight": Q8_1}), "unknownTensorType")
    f["bool-value-2.gguf"] = (base(kvs=[gstr("test.flag") + u32(BOOL) + b"\x02"] + BASE_KVS), "wrongValueType")
    f["alignment-not-integer.gguf"] = (
        base(kvs=BASE_KVS + [kv("general.alignment", STR, "32")]), "wrongValueType")

    # Alignment.
    for label, vtype, v in [("zero", U32, 0), ("three", U32, 3), ("huge", U32, 1 << 31), ("negative", I32, -32)]:
        f[f"alignment-{label}.gguf"] = (base(kvs=BASE_KVS + [kv("general.alignment", vtype, v)]), "badAlignment")

    # Tensor placement.
    f["tensor-offset-past-eof.gguf"] = (with_tensor([8], offset=4096), "tensorOutOfBounds")
    # Above Int64.max: "negative" if read as a signed offset; aligned, so placement is what fails.
    f["tensor-offset-negative-looking.gguf"] = (with_tensor([8], offset=UINT64_MAX - 31), "tensorOutOfBounds")
    f["tensor-offset-near-int-max.gguf"] = (with_tensor([8], offset=INT64_MAX - 31), "tensorOutOfBounds")
    f["tensor-offset-misaligned.gguf"] = (with_tensor([8], offset=4), "misalignedTensorData")
    f["overlapping-tensors.gguf"] = (base(infos=[tinfo(*A, 0), tinfo("b", [16], F32, 0)]), "overlappingTensors")
    f["duplicate-tensor-name.gguf"] = (base(infos=[tinfo(*A, 0), tinfo("a", [8], F32, 32)]), "duplicateTensor")

    # Shapes.
    f["shape-elements-overflow.gguf"] = (with_tensor([MAX_DIMENSION] * 2), "shapeOverflow")
    f["shape-bytes-overflow.gguf"] = (with_tensor([1 << 31, 1 << 31]), "shapeOverflow")
    f["zero-dimension.gguf"] = (with_tensor([8, 0]), "zeroOrHugeDimension")
    f["huge-dimension.gguf"] = (with_tensor([1 << 63]), "zeroOrHugeDimension")
    f["too-many-dims.gguf"] = (with_tensor([8, 1, 1, 1, 1]), "tooManyDimensions")
    f["zero-dims.gguf"] = (with_tensor([], n_dims=0), "tooManyDimensions")
    f["q8_0-row-not-multiple-of-32.gguf"] = (with_tensor([48, 2], Q8_0), "rowNotBlockAligned")

    # Metadata structure.
    f["duplicate-key.gguf"] = (base(kvs=BASE_KVS + [kv("test.count", U32, 8)]), "duplicateKey")
    f["nested-array-too-deep.gguf"] = (
        base(kvs=[kv("test.deep", ARR, (ARR, [(ARR, [(U8, [1])])]))] + BASE_KVS), "nestedArrayTooDeep")

    # Valid edge cases that must parse.
    f["valid-base.gguf"] = (whole, "valid")
    # Vocab-only file ending right after its header, without padding: an empty data section.
    zero_tensors = base(infos=[], data=b"", pad=False)
    assert len(zero_tensors) % DEFAULT_ALIGNMENT != 0, "must end off the alignment to test the clamp"
    f["valid-zero-tensors.gguf"] = (zero_tensors, "valid")
    f["valid-alignment-64.gguf"] = (
        assemble(BASE_KVS + [kv("general.alignment", U32, 64)], [tinfo(*A, 0), tinfo(*B, 64)],
                 pattern(64 + tensor_bytes(B[1], B[2])), alignment=64), "valid")
    f["valid-nested-array.gguf"] = (
        base(kvs=BASE_KVS + [kv("test.pairs", ARR, (ARR, [(U8, [1, 2]), (STR, ["x"])]))]), "valid")

    f["missing-tensor.gguf"] = (missing_tensor_model(), "model.missingTensor")
    # The model the metadata fixtures below break, intact: it loads.
    f["valid-llama-model.gguf"] = (llama_model(), "model.loads")

    # Float hyper-parameters that load but would make the forward pass compute garbage.
    nan, inf = float("nan"), float("inf")
    for label, key, vtype, v in [
        ("freq-base-nan", "llama.rope.freq_base", F32V, nan),
        ("freq-base-inf", "llama.rope.freq_base", F32V, inf),
        ("freq-base-zero", "llama.rope.freq_base", F32V, 0.0),
        ("freq-base-negative", "llama.rope.freq_base", F64, -10000.0),
        ("rms-eps-nan", "llama.attention.layer_norm_rms_epsilon", F32V, nan),
        ("rms-eps-minus-inf", "llama.attention.layer_norm_rms_epsilon", F32V, -inf),
        ("rms-eps-zero", "llama.attention.layer_norm_rms_epsilon", F32V, 0.0),
        ("rms-eps-negative", "llama.attention.layer_norm_rms_epsilon", F32V, -1e-5),
        # Positive as a float64, 0 once the model reads it as the float32 it computes with.
        ("rms-eps-float32-underflow", "llama.attention.layer_norm_rms_epsilon", F64, 1e-60),
        ("rope-scaling-factor-zero", "llama.rope.scaling.factor", F32V, 0.0),
    ]:
        name = f"metadata-{label}.gguf"
        overrides = {key: (vtype, v)}
        if key.startswith("llama.rope.scaling."):
            overrides["llama.rope.scaling.type"] = (STR, "linear")  # the factor is read only then
        f[name] = (llama_model(overrides=overrides), "model.invalidFloatHyperparameter")
        MESSAGES[name] = key
    f["metadata-rope-freqs-zero.gguf"] = (
        llama_model(extra_tensors=[("rope_freqs.weight", [8], F32, [1.0] * 3 + [0.0] + [1.0] * 4)]),
        "model.invalidFloatHyperparameter")
    MESSAGES["metadata-rope-freqs-zero.gguf"] = "rope_freqs.weight[3]"
    MESSAGES["long-key-nuls-unknown-type.gguf"] = "bytes)"
    MESSAGES["unknown-tensor-type.gguf"] = "IQ4_NL (20)"
    MESSAGES["long-key-nuls-truncated-value.gguf"] = "bytes)"
    f.update(block_quant_fixtures())
    return f


# ---- damaged K-quant and legacy-quant blocks (issue 15) -------------------------------

Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K = 3, 6, 7, 10, 11, 12, 13, 14
QUANT_BLOCK = {Q4_1: (32, 20), Q5_0: (32, 22), Q5_1: (32, 24), Q2_K: (256, 84), Q3_K: (256, 110),
               Q4_K: (256, 144), Q5_K: (256, 176), Q6_K: (256, 210)}
# Byte offsets of each block's f16 scale fields (d, then dmin where the type has one).
HALF_FIELDS = {Q4_K: (0, 2), Q6_K: (208,), Q2_K: (80, 82), Q3_K: (108,)}
F16_NAN, F16_INF = 0x7E00, 0x7C00


def quant_bytes(shape, ttype):
    block, size = QUANT_BLOCK[ttype]
    rows = 1
    for d in shape[1:]:
        rows *= d
    return shape[0] // block * size * rows


def quant_data(shape, ttype, seed, damage=None):
    """Random packed bits with small finite f16 scales; `damage` = (block, field, f16 bits)."""
    _, size = QUANT_BLOCK[ttype]
    out = bytearray(pattern(quant_bytes(shape, ttype), seed))
    for b in range(len(out) // size):
        for field in HALF_FIELDS[ttype]:
            out[b * size + field:b * size + field + 2] = struct.pack("<e", 1 / 512)
    if damage:
        block, field, bits = damage
        at = block * size + HALF_FIELDS[ttype][field]
        out[at:at + 2] = struct.pack("<H", bits)
    return bytes(out)


def kquant_model(damage=None):
    """A one-layer llama (hidden 256, one KV head) mixing Q2_K, Q3_K, Q4_K and Q6_K, mostly
    Q2_K to stay small. `damage` = (tensor name, block, field, f16 bits) writes one bad scale."""
    vocab, embd, ff, heads, kv_heads = 32, 256, 256, 4, 1
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(vocab - 3)]
    hparams = {"block_count": 1, "context_length": 128, "embedding_length": embd, "feed_forward_length": ff,
               "attention.head_count": heads, "attention.head_count_kv": kv_heads,
               "rope.dimension_count": embd // heads, "vocab_size": vocab}
    kvs = ([kv("general.architecture", STR, "llama"), kv("general.name", STR, "k-quant damage fixture")]
           + [kv(f"llama.{key}", U32, v) for key, v in hparams.items()]
           + [kv("llama.rope.freq_base", F32V, 10000.0), kv("llama.attention.layer_norm_rms_epsilon", F32V, 1e-5)]
           + [kv("tokenizer.ggml." + key, vtype, v) for key, vtype, v in (
               ("model", STR, "llama"), ("tokens", ARR, (STR, tokens)), ("scores", ARR, (F32V, [0.0] * vocab)),
               ("token_type", ARR, (I32, [2, 3, 3] + [6] * (vocab - 3))), ("bos_token_id", U32, 1),
               ("eos_token_id", U32, 2))])
    kv_rows = kv_heads * embd // heads
    shapes = [
        ("token_embd.weight", [embd, vocab], Q4_K),
        ("blk.0.attn_norm.weight", [embd], F32),
        ("blk.0.attn_q.weight", [embd, embd], Q2_K),
        ("blk.0.attn_k.weight", [embd, kv_rows], Q2_K),
        ("blk.0.attn_v.weight", [embd, kv_rows], Q4_K),
        ("blk.0.attn_output.weight", [embd, embd], Q2_K),
        ("blk.0.ffn_norm.weight", [embd], F32),
        ("blk.0.ffn_gate.weight", [embd, ff], Q2_K),
        ("blk.0.ffn_up.weight", [embd, ff], Q2_K),
        ("blk.0.ffn_down.weight", [ff, embd], Q3_K),
        ("output_norm.weight", [embd], F32),
        ("output.weight", [embd, vocab], Q6_K),
    ]
    infos, data = [], b""
    for i, (name, shape, ttype) in enumerate(shapes):
        data += b"\0" * (pad_to(len(data), DEFAULT_ALIGNMENT) - len(data))
        infos.append(tinfo(name, shape, ttype, len(data)))
        if ttype == F32:
            data += struct.pack(f"<{shape[0]}f", *([1.0] * shape[0]))
        else:
            hit = damage[1:] if damage and damage[0] == name else None
            data += quant_data(shape, ttype, seed=i + 1, damage=hit)
    return assemble(kvs, infos, data)


def block_quant_fixtures():
    f = {}
    f["kquant-model.gguf"] = (kquant_model(), "valid")
    f["q2_k-scale-nan.gguf"] = (kquant_model(("blk.0.attn_q.weight", 37, 0, F16_NAN)), "model.nonFiniteBlockScale")
    f["q4_k-dmin-inf.gguf"] = (kquant_model(("blk.0.attn_v.weight", 0, 1, F16_INF)), "model.nonFiniteBlockScale")
    f["q6_k-scale-minus-inf.gguf"] = (kquant_model(("output.weight", 31, 0, F16_INF | 0x8000)),
                                      "model.nonFiniteBlockScale")
    f["q3_k-scale-nan.gguf"] = (kquant_model(("blk.0.ffn_down.weight", 255, 0, F16_NAN)), "model.nonFiniteBlockScale")
    q6 = quant_bytes([256, 2], Q6_K)
    f["q6_k-truncated-tensor.gguf"] = (base(infos=[tinfo("q", [256, 2], Q6_K, 0)], data=pattern(q6 - 100)),
                                       "tensorOutOfBounds")
    # Block counts that do not fit: a K-quant row of 384 (1.5 super-blocks), a Q5_1 row of 48.
    f["q4_k-row-not-multiple-of-256.gguf"] = (with_tensor([384, 2], Q4_K), "rowNotBlockAligned")
    f["q5_1-row-not-multiple-of-32.gguf"] = (with_tensor([48, 2], Q5_1), "rowNotBlockAligned")
    # Two Q3_K rows declared where the data holds one before the next tensor starts.
    q3 = quant_bytes([256, 1], Q3_K)
    f["q3_k-block-count-overlaps-next.gguf"] = (
        base(infos=[tinfo("q", [256, 2], Q3_K, 0), tinfo("next", [8], F32, pad_to(q3, DEFAULT_ALIGNMENT))],
             data=pattern(pad_to(2 * q3, DEFAULT_ALIGNMENT) + 32)), "overlappingTensors")
    return f


# Expected substrings of error messages (messages.json), filled by fixtures().
MESSAGES = {}

# 47,000 bytes: runs of NULs, an ANSI clear-screen and text, as a crafted file's key.
LONG_KEY = (b"\0" * 24252 + b"\x1b[2J" + b"k" * 1000) * 2
LONG_KEY = LONG_KEY[:47000]


def missing_tensor_model():
    """A plausible one-layer llama (Q8_0 matrices, F32 norms) without blk.0.attn_q.weight."""
    return llama_model(drop="blk.0.attn_q.weight")


def llama_model(overrides=None, drop=None, extra_tensors=(), retype=None):
    """A plausible one-layer llama (Q8_0 matrices, F32 norms). `overrides` maps metadata
    keys to (type, value) (replacing or adding), `drop` leaves a tensor out, and
    `extra_tensors` adds F32 (name, shape, type, values), `retype` maps tensor names to
    another type (data: filler bytes of that type's size)."""
    vocab, embd, ff, heads = 32, 64, 128, 4
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(vocab - 3)]
    kvs = [
        kv("general.architecture", STR, "llama"),
        kv("general.name", STR, "missing-tensor fixture"),
        kv("llama.block_count", U32, 1),
        kv("llama.context_length", U32, 128),
        kv("llama.embedding_length", U32, embd),
        kv("llama.feed_forward_length", U32, ff),
        kv("llama.attention.head_count", U32, heads),
        kv("llama.attention.head_count_kv", U32, heads),
        kv("llama.rope.dimension_count", U32, embd // heads),
        kv("llama.rope.freq_base", F32V, 10000.0),
        kv("llama.attention.layer_norm_rms_epsilon", F32V, 1e-5),
        kv("llama.vocab_size", U32, vocab),
        kv("tokenizer.ggml.model", STR, "llama"),
        kv("tokenizer.ggml.tokens", ARR, (STR, tokens)),
        kv("tokenizer.ggml.scores", ARR, (F32V, [0.0] * vocab)),
        kv("tokenizer.ggml.token_type", ARR, (I32, [2, 3, 3] + [6] * (vocab - 3))),
        kv("tokenizer.ggml.bos_token_id", U32, 1),
        kv("tokenizer.ggml.eos_token_id", U32, 2),
    ]
    for key, (vtype, v) in (overrides or {}).items():
        kvs = [k for k in kvs if not k.startswith(gstr(key))] + [kv(key, vtype, v)]
    shapes = [
        ("token_embd.weight", [embd, vocab], Q8_0),
        ("blk.0.attn_norm.weight", [embd], F32),
        ("blk.0.attn_q.weight", [embd, embd], Q8_0),
        ("blk.0.attn_k.weight", [embd, embd], Q8_0),
        ("blk.0.attn_v.weight", [embd, embd], Q8_0),
        ("blk.0.attn_output.weight", [embd, embd], Q8_0),
        ("blk.0.ffn_norm.weight", [embd], F32),
        ("blk.0.ffn_gate.weight", [embd, ff], Q8_0),
        ("blk.0.ffn_up.weight", [embd, ff], Q8_0),
        ("blk.0.ffn_down.weight", [ff, embd], Q8_0),
        ("output_norm.weight", [embd], F32),
        ("output.weight", [embd, vocab], Q8_0),
    ]
    infos, data = [], b""
    shapes = [(n, sh, (retype or {}).get(n, t)) for n, sh, t in shapes if n != drop]
    for i, (name, shape, ttype) in enumerate(shapes):
        data += b"\0" * (pad_to(len(data), DEFAULT_ALIGNMENT) - len(data))
        infos.append(tinfo(name, shape, ttype, len(data)))
        data += tensor_data(shape, ttype, seed=i + 1)
    for name, shape, ttype, values in extra_tensors:
        data += b"\0" * (pad_to(len(data), DEFAULT_ALIGNMENT) - len(data))
        infos.append(tinfo(name, shape, ttype, len(data)))
        data += struct.pack(f"<{len(values)}f", *values)
    return assemble(kvs, infos, data)


def tensor_data(shape, ttype, seed):
    n = tensor_bytes(shape, ttype)
    if ttype == F32:  # norm weights: ones
        return struct.pack(f"<{n // 4}f", *([1.0] * (n // 4)))
    if ttype != Q8_0:
        return pattern(n, seed)
    # Q8_0 blocks: f16 scale 1/64, then 32 small pseudo-random int8 values.
    quants = pattern(n // 34 * 32, seed)
    out = bytearray()
    for b in range(n // 34):
        out += struct.pack("<e", 1 / 64)
        out += bytes((q % 33 - 16) & 0xFF for q in quants[b * 32:(b + 1) * 32])
    return bytes(out)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for old in os.listdir(OUT_DIR):
        if old.endswith(".gguf"):
            os.remove(os.path.join(OUT_DIR, old))
    manifest = {}
    for name, (blob, expected) in sorted(fixtures().items()):
        with open(os.path.join(OUT_DIR, name), "wb") as out:
            out.write(blob)
        manifest[name] = expected
    with open(os.path.join(OUT_DIR, "manifest.json"), "w") as out:
        json.dump(manifest, out, indent=2, sort_keys=True)
        out.write("\n")
    with open(os.path.join(OUT_DIR, "messages.json"), "w") as out:
        json.dump(MESSAGES, out, indent=2, sort_keys=True)
        out.write("\n")
    bad = sum(1 for e in manifest.values() if e != "valid" and not e.startswith("model."))
    print(f"wrote {len(manifest)} files ({bad} bad) to {os.path.relpath(OUT_DIR)}")


if __name__ == "__main__":
    main()
