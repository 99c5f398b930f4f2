#!/usr/bin/env python3
"""Writes Models/default-calibration.txt: a slice of the bundled model's *training* text on
which static activation ranges are measured (the Arm NN backend needs them), so that the
held-out perplexity is never measured on the text the scales were fitted to.

It takes every 40th chapter starting at index 9 of the KJV as tools/train_default_model.py
reads it (index % 40 == 9 never meets the held-out chapters, index % 20 == 19), about 2 %
of the Bible spread over all its books.

    apt-get install -y bible-kjv bible-kjv-text
    python3 tools/make_calibration_text.py
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_default_model import HOLDOUT_EVERY, MODELS, kjv_chapters  # noqa: E402

EVERY, OFFSET = 40, 9


def main() -> None:
    chapters = kjv_chapters()
    picked = [c for i, c in enumerate(chapters) if i % EVERY == OFFSET]
    assert all(i % HOLDOUT_EVERY != HOLDOUT_EVERY - 1 for i in range(OFFSET, len(chapters), EVERY))
    text = "\n\n".join("\n".join(c) for c in picked) + "\n"
    out = MODELS / "default-calibration.txt"
    out.write_text(text)
    print(f"{out}: {len(picked)} chapters, {len(text.encode())} bytes")


if __name__ == "__main__":
    main()
