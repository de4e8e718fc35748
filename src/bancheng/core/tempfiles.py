"""A download written to a temporary file first (the exports of the operation log and of
the figures), streamed to the client and then deleted."""

from __future__ import annotations

import os
from collections.abc import Iterator


def stream_file(path: str, chunk: int = 1 << 16) -> Iterator[bytes]:
    try:
        with open(path, "rb") as fh:
            while data := fh.read(chunk):
                yield data
    finally:
        os.unlink(path)
