"""The classifier's text features: normalisation, character n-grams and jieba words."""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from functools import lru_cache
from typing import Any

# Long details add little signal after the first paragraphs but cost time: jieba's cost
# grows with length, so words come from a shorter prefix than character n-grams. With
# these caps the longest messages take about 3.3 ms of CPU (2,000 / 1,000 took 7 ms) at
# no measurable cost in cross-validation (docs/routing.md).
MAX_DETAIL_CHARS = 1000
MAX_WORD_CHARS = 500
CHAR_NGRAMS = (1, 2, 3)
WORD_PREFIX = "w:"
JOINER = "。"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACE = re.compile(r"\s+")


def normalize_text(text: str | None) -> str:
    """NFKC (full-width to half-width), lower case, control characters and runs of
    whitespace to one space."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    return _SPACE.sub(" ", text).strip().lower()


@lru_cache(maxsize=1)
def _jieba() -> Any:
    with warnings.catch_warnings():
        # jieba's source has invalid escape sequences; compiling it warns.
        warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
        import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.dt


def _features_normalized(title: str, detail: str) -> list[str]:
    detail = detail[:MAX_DETAIL_CHARS]
    text = f"{title}{JOINER}{detail}" if title and detail else (title or detail)
    features = [text[i : i + n] for n in CHAR_NGRAMS for i in range(len(text) - n + 1)]
    tokenizer = _jieba()
    for part in (title, detail[:MAX_WORD_CHARS]):
        if part:
            features.extend(WORD_PREFIX + w for w in tokenizer.lcut(part) if w.strip())
    return features


def extract_features(title: str | None, detail: str | None) -> list[str]:
    """The model's tokens for one message: character 1-3-grams of title + detail and the
    jieba words of each, prefixed ``w:``."""
    return _features_normalized(normalize_text(title), normalize_text(detail))
