#!/usr/bin/env python3
"""Generate Sources/AutoGLMCore/Tokenizer/UnicodeTables.swift from Python's `unicodedata`.

The pre-tokenizer regexes of byte-level BPE vocabularies use \\p{L}, \\p{N} and \\s. Core must compile as
Embedded Swift, where Unicode.Scalar.Properties may be missing, so the three classes are shipped as
compact sorted tables of inclusive code point ranges, searched by binary search:

  letters     \\p{L}  general category Lu, Ll, Lt, Lm, Lo
  numbers     \\p{N}  general category Nd, Nl, No
  whitespace  \\s     the Unicode White_Space property, which is what Oniguruma (HF tokenizers) and
                     llama.cpp use: Zs, Zl, Zp, U+0009..U+000D and U+0085. (Python's str.isspace()
                     also accepts U+001C..U+001F, which the regexes do not treat as spaces.)

Rerun from the repository root after changing this script or the Python version:

    python3 tools/gen_unicode_tables.py

It also writes the canonical decomposition, combining class and composition data for NFC, which
Qwen2's tokenizer applies before splitting (UnicodeNormalization.swift):

  nfcMaybeChanges    code points NFC may change or join with what precedes (NFC_Quick_Check No or
                     Maybe, or a non-zero combining class); text without any is already NFC
  combiningClasses   non-zero canonical combining classes as (first, last, class) triples
  decomposition*     full canonical decomposition of every decomposable code point except Hangul
                     syllables (decomposed arithmetically)
  composition*       primary composites: (first << 32 | second) -> composite, sorted; excluded
                     composites (CompositionExclusions, singletons, non-starter decompositions) are
                     left out by keeping only pairs whose composite is itself NFC

The output is deterministic for a given Python (unicodedata.unidata_version is written into it).
"""
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "Sources/AutoGLMCore/Tokenizer/UnicodeTables.swift"
MAX_CP = 0x10FFFF


def is_letter(cp: int) -> bool:
    return unicodedata.category(chr(cp)) in ("Lu", "Ll", "Lt", "Lm", "Lo")


def is_number(cp: int) -> bool:
    return unicodedata.category(chr(cp)) in ("Nd", "Nl", "No")


def is_whitespace(cp: int) -> bool:
    return unicodedata.category(chr(cp)) in ("Zs", "Zl", "Zp") or 0x09 <= cp <= 0x0D or cp == 0x85


def ranges(pred) -> list[tuple[int, int]]:
    out = []
    start = None
    for cp in range(MAX_CP + 2):
        inside = cp <= MAX_CP and pred(cp)
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            out.append((start, cp - 1))
            start = None
    return out


def swift_array(name: str, doc: str, rs: list[tuple[int, int]]) -> str:
    lines = [f"    /// {doc} {len(rs)} inclusive ranges, flattened as [first0, last0, first1, last1, ...].",
             f"    static let {name}: [UInt32] = ["]
    row = []
    for a, b in rs:
        row.append(f"0x{a:X}, 0x{b:X}")
        if len(row) == 6:
            lines.append("        " + ", ".join(row) + ",")
            row = []
    if row:
        lines.append("        " + ", ".join(row) + ",")
    lines.append("    ]")
    return "\n".join(lines)


HANGUL_SYLLABLES = range(0xAC00, 0xD7A4)
HANGUL_V = range(0x1161, 0x1176)
HANGUL_T = range(0x11A8, 0x11C3)


def nfc_data():
    decomps = []      # (cp, [full canonical decomposition])
    pairs = []        # (first, second, composite)
    for cp in range(MAX_CP + 1):
        if cp in HANGUL_SYLLABLES:
            continue
        c = chr(cp)
        d = unicodedata.decomposition(c)
        if not d or d.startswith("<"):
            continue
        decomps.append((cp, [ord(x) for x in unicodedata.normalize("NFD", c)]))
        parts = [int(x, 16) for x in d.split()]
        if len(parts) == 2 and unicodedata.normalize("NFC", c) == c:
            pairs.append((parts[0], parts[1], cp))
    seconds = {b for _, b, _ in pairs}

    def maybe_changes(cp: int) -> bool:
        c = chr(cp)
        return (unicodedata.combining(c) != 0 or cp in seconds or cp in HANGUL_V or cp in HANGUL_T
                or unicodedata.normalize("NFC", c) != c)

    ccc = []
    start = None
    prev = 0
    for cp in range(MAX_CP + 2):
        v = unicodedata.combining(chr(cp)) if cp <= MAX_CP else 0
        if v != prev:
            if prev != 0:
                ccc.append((start, cp - 1, prev))
            start = cp
            prev = v
    return decomps, sorted(pairs, key=lambda p: (p[0] << 32) | p[1]), ccc, ranges(maybe_changes)


def flat(name: str, doc: str, typ: str, values: list[int], per_row: int = 8) -> str:
    lines = [f"    /// {doc}", f"    static let {name}: [{typ}] = ["]
    for i in range(0, len(values), per_row):
        lines.append("        " + ", ".join(f"0x{v:X}" for v in values[i:i + per_row]) + ",")
    lines.append("    ]")
    return "\n".join(lines)


def nfc_tables() -> str:
    decomps, pairs, ccc, maybe = nfc_data()
    keys, starts, scalars = [], [], []
    for cp, d in decomps:
        keys.append(cp)
        starts.append(len(scalars))
        scalars.extend(d)
    starts.append(len(scalars))
    ccc_flat = [x for r in ccc for x in r]
    return "\n\n".join([
        swift_array("nfcMaybeChanges", "Code points NFC may change or compose with the code point before:", maybe),
        flat("combiningClasses", f"Non-zero canonical combining classes: {len(ccc)} (first, last, class) triples.",
             "UInt32", ccc_flat, 9),
        flat("decompositionKeys", f"{len(keys)} code points with a canonical decomposition (Hangul syllables aside), sorted.",
             "UInt32", keys),
        flat("decompositionStarts", "Where each one's full decomposition starts in decompositionScalars (one extra end entry).",
             "UInt16", starts),
        flat("decompositionScalars", "The full canonical decompositions, back to back.", "UInt32", scalars),
        flat("compositionKeys", f"{len(pairs)} primary composites' pairs as first << 32 | second, sorted.",
             "UInt64", [(a << 32) | b for a, b, _ in pairs], 4),
        flat("compositionValues", "The composite of each pair in compositionKeys.", "UInt32", [c for _, _, c in pairs]),
    ])


def latin1_table() -> str:
    # One class per code point below 0x100 so ASCII-heavy text never reaches the binary search.
    # Values match ScalarClass raw values: 0 other, 1 letter, 2 number, 3 whitespace.
    vals = []
    for cp in range(256):
        if is_letter(cp):
            vals.append(1)
        elif is_number(cp):
            vals.append(2)
        elif is_whitespace(cp):
            vals.append(3)
        else:
            vals.append(0)
    lines = ["    /// ScalarClass raw value of every code point below U+0100 (0 other, 1 letter, 2 number, 3 whitespace).",
             "    static let latin1: [UInt8] = ["]
    for i in range(0, 256, 32):
        lines.append("        " + ", ".join(str(v) for v in vals[i:i + 32]) + ",")
    lines.append("    ]")
    return "\n".join(lines)


def main() -> None:
    body = [
        "// Generated by tools/gen_unicode_tables.py from Python "
        f"{sys.version_info.major}.{sys.version_info.minor} unicodedata "
        f"(Unicode {unicodedata.unidata_version}). Do not edit by hand.",
        "",
        "/// Code point classes used by the pre-tokenizer regexes (see PreTokenizer.swift).",
        "enum UnicodeTables {",
        f'    static let unicodeVersion = "{unicodedata.unidata_version}"',
        "",
        latin1_table(),
        "",
        swift_array("letters", "\\p{L} (Lu, Ll, Lt, Lm, Lo):", ranges(is_letter)),
        "",
        swift_array("numbers", "\\p{N} (Nd, Nl, No):", ranges(is_number)),
        "",
        swift_array("whitespace", "\\s (White_Space):", ranges(is_whitespace)),
        "",
        nfc_tables(),
        "}",
        "",
    ]
    OUT.write_text("\n".join(body))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
