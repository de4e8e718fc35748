"""Case attachments: decide what an upload really is, clean it, and store it by content.

Only images and PDFs are accepted. The type is decided from the bytes (magic numbers, then
an actual decode), never from the file name or the client's content type.

* Images are decoded and re-encoded, which drops EXIF (GPS location in particular), XMP,
  IPTC, comments, text chunks and anything appended after the image data. The EXIF
  orientation is applied to the pixels first, so photos keep their upright orientation.
  JPEG stays JPEG, PNG stays PNG, WebP stays WebP, the first frame of a GIF becomes PNG,
  and HEIC/HEIF (what iPhones send) becomes JPEG. An ICC colour profile is kept when the
  pixel mode is unchanged, so colours render as shot.
* PDFs are parsed with pypdf and stored byte for byte when every object passes; PDFs
  carrying JavaScript, automatic actions (OpenAction/AA), launch actions, embedded files,
  rich media or XFA forms, and encrypted PDFs (which cannot be inspected), are refused.

Stored files live at ``<root>/<aa>/<bb>/<sha256>`` where the hash is of the *stored*
bytes, so identical content is stored once.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

import pillow_heif
from PIL import Image, ImageOps

from bancheng.core.errors import Invalid, NotFound, TooLarge

pillow_heif.register_heif_opener()

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_PIXELS",
    "FileStore",
    "StoredFile",
    "inspect_and_normalize",
]

DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024
# 50 megapixels: a 48 MP iPhone "HEIF Max" photo (8064 x 6048) still fits; a decompression
# bomb does not (and decoding one at this cap costs at most ~200 MB of memory).
MAX_PIXELS: Final = 50_000_000
JPEG_QUALITY: Final = 88
WEBP_QUALITY: Final = 88

_SHA256_RE: Final = re.compile(r"[0-9a-f]{64}")

# --- error helpers ------------------------------------------------------------------------


def _mb(n: int) -> str:
    value = n / (1024 * 1024)
    return f"{value:.0f} MB" if value.is_integer() else f"{value:.1f} MB"


def _too_large(max_bytes: int) -> TooLarge:
    return TooLarge(
        "attachment.too_large",
        f"附件过大，单个文件不能超过 {_mb(max_bytes)}",
        max_bytes=max_bytes,
    )


def _too_many_pixels(max_pixels: int) -> TooLarge:
    return TooLarge(
        "attachment.too_large",
        f"图片尺寸过大，像素总数不能超过 {max_pixels // 1_000_000} 百万",
        max_pixels=max_pixels,
    )


def _not_allowed() -> Invalid:
    return Invalid(
        "attachment.type_not_allowed",
        "只能上传图片（JPEG、PNG、WebP、GIF、HEIC）或 PDF 文件",
    )


def _corrupt(what: str = "文件") -> Invalid:
    return Invalid("attachment.corrupt", f"{what}已损坏或不完整，无法打开，请重新上传")


# --- public types -------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    """What was stored: hash and length of the stored bytes, their real type, pixel size."""

    sha256: str
    media_type: str
    size: int
    width: int | None
    height: int | None
    extension: str


# --- sniffing -----------------------------------------------------------------------------

_JPEG, _PNG, _GIF, _WEBP, _HEIF, _PDF = "JPEG", "PNG", "GIF", "WEBP", "HEIF", "PDF"

_HEVC_BRANDS: Final = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"})
_HEVC_BRANDS_MORE: Final = frozenset({b"hevm", b"hevs"})
_HEIF_GENERIC_BRANDS: Final = frozenset({b"mif1", b"msf1", b"mif2"})


def _heif_brands(data: bytes) -> set[bytes]:
    """Major and compatible brands of an ISO-BMFF ``ftyp`` box at the start, or empty."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return set()
    box_size = int.from_bytes(data[0:4], "big")
    if box_size < 16 or box_size > min(len(data), 4096) or box_size % 4:
        return set()
    brands = {data[8:12]}
    brands.update(data[i : i + 4] for i in range(16, box_size, 4))
    return brands


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return _JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _PNG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _GIF
    if len(data) >= 16 and data[0:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _WEBP
    if data.startswith(b"%PDF-"):
        return _PDF
    brands = _heif_brands(data)
    if brands & (_HEVC_BRANDS | _HEVC_BRANDS_MORE):
        return _HEIF
    if brands & {b"avif", b"avis"}:
        return None  # AVIF: no decoder here
    if brands & _HEIF_GENERIC_BRANDS:
        return _HEIF
    return None


# --- images -------------------------------------------------------------------------------

# Pillow format id to open with, output format, media type, extension.
_IMAGE_OUTPUT: Final[dict[str, tuple[str, str, str]]] = {
    _JPEG: ("JPEG", "image/jpeg", "jpg"),
    _HEIF: ("JPEG", "image/jpeg", "jpg"),
    _PNG: ("PNG", "image/png", "png"),
    _GIF: ("PNG", "image/png", "png"),
    _WEBP: ("WEBP", "image/webp", "webp"),
}

_PNG_MODES: Final = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        im.mode == "P" and "transparency" in im.info
    )


def _flatten_to_rgb(im: Image.Image) -> Image.Image:
    """RGB on a white background (JPEG has no alpha)."""
    rgba = im.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _colour_space(mode: str) -> str:
    if mode in ("1", "L", "LA", "La", "I", "I;16", "F"):
        return "gray"
    if mode == "CMYK":
        return "cmyk"
    return mode if mode in ("LAB", "HSV", "YCbCr") else "rgb"


def _webp_is_lossless(data: bytes) -> bool:
    # Simple format: "VP8L" chunk right after the header; extended format: look further.
    return data[12:16] == b"VP8L" or (data[12:16] == b"VP8X" and b"VP8L" in data[30:4096])


def _normalize_image(data: bytes, kind: str, max_pixels: int) -> tuple[bytes, int, int]:
    out_format, _, _ = _IMAGE_OUTPUT[kind]
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as src:
            width, height = src.size
            if width <= 0 or height <= 0:
                raise _corrupt("图片")
            if width * height > max_pixels:
                raise _too_many_pixels(max_pixels)
            src.load()  # first frame only, for GIF and animated WebP
            icc: bytes | None = src.info.get("icc_profile") or None
            transparency = src.info.get("transparency")
            source_mode = src.mode
            try:
                im = ImageOps.exif_transpose(src)
            except Exception:  # unreadable EXIF: keep the pixels as they are
                im = src.copy()
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(max_pixels) from exc
    except (TooLarge, Invalid):
        raise
    except MemoryError:
        raise
    except Exception as exc:  # truncated, corrupt, not really this format, decoder errors
        raise _corrupt("图片") from exc

    # Nothing from the source's metadata may ride along into the encoder.
    im.info = {}
    params: dict[str, Any] = {}

    if out_format == "JPEG":
        if im.mode not in ("L", "RGB"):
            im = _flatten_to_rgb(im) if _has_alpha(im) else im.convert("RGB")
        params.update(quality=JPEG_QUALITY)
    elif out_format == "PNG":
        if im.mode in _PNG_MODES:
            if transparency is not None and im.mode in ("P", "L", "RGB"):
                params["transparency"] = transparency
        else:
            im = im.convert("RGBA")
    else:  # WEBP
        if im.mode not in ("RGB", "RGBA"):
            im = im.convert("RGBA" if _has_alpha(im) else "RGB")
        if _webp_is_lossless(data):
            params.update(lossless=True)
        else:
            params.update(quality=WEBP_QUALITY)

    if icc and _colour_space(im.mode) == _colour_space(source_mode):
        params["icc_profile"] = icc

    out = io.BytesIO()
    try:
        im.save(out, format=out_format, **params)
    except MemoryError:
        raise
    except Exception as exc:
        raise _corrupt("图片") from exc
    return out.getvalue(), im.width, im.height


# --- PDF ----------------------------------------------------------------------------------

# A PDF is parsed with pypdf (object streams, compressed streams and name trees resolved by
# the library) and every object reachable from the trailer, plus every object the cross-
# reference table lists (a reader that rebuilds a broken table may use those too), is
# looked at as parsed objects: names are compared after the parser decoded them, so
# ``/J#61vaScript`` is ``/JavaScript`` and nothing depends on how the bytes were laid out.

# Keys whose presence means code, a program launch, an embedded file or an interactive form
# that runs by itself.
_PDF_ACTIVE_KEYS: Final = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/AA",
        "/EmbeddedFiles",
        "/EmbeddedFile",
        "/EF",
        "/XFA",
        "/RichMediaContent",
        "/RichMediaSettings",
    }
)
# Action types (``/S``) that run code, launch programs, open embedded files or post data.
_PDF_ACTIVE_ACTIONS: Final = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/GoToE",
        "/RichMediaExecute",
        "/ImportData",
        "/SubmitForm",
        "/Rendition",
        "/Movie",
        "/Sound",
    }
)
# Object types and annotation subtypes that carry files or rich media.
_PDF_ACTIVE_TYPES: Final = frozenset(
    {"/EmbeddedFile", "/RichMedia", "/FileAttachment", "/Screen", "/Movie", "/Sound", "/3D"}
)
_PDF_MAX_OBJECTS: Final = 200_000


def _pdf_active_content() -> Invalid:
    return Invalid(
        "attachment.pdf_active_content",
        "PDF 文件含有脚本、嵌入文件或其他可执行内容，出于安全原因不能上传，"
        "请另存为普通 PDF 或拍照上传",
    )


def _pdf_dict_is_active(d: Any) -> bool:
    from pypdf.generic import DictionaryObject

    if _PDF_ACTIVE_KEYS.intersection(d.keys()):
        return True
    for key in ("/S", "/Type", "/Subtype"):
        value = d.get(key)
        if isinstance(value, str) and value in (_PDF_ACTIVE_ACTIONS | _PDF_ACTIVE_TYPES):
            return True
    # OpenAction may name a page to open at (an array); an action dictionary there runs.
    opened = d.get("/OpenAction")
    if opened is not None:
        target = opened.get_object() if hasattr(opened, "get_object") else opened
        if isinstance(target, DictionaryObject):
            return True
    return False


def _check_pdf(data: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if not re.match(rb"%PDF-\d\.\d", data):
        raise _corrupt("PDF 文件")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Invalid(
                "attachment.pdf_encrypted",
                "PDF 文件已加密，无法检查其内容，请上传未加密的文件",
            )
        if len(reader.pages) < 1:
            raise _corrupt("PDF 文件")
        seen: set[tuple[int, int]] = set()
        stack: list[Any] = [reader.trailer]
        # Every object the cross-reference data lists, in object streams too.
        for generation, numbers in reader.xref.items():
            stack.extend(IndirectObject(n, generation, reader) for n in numbers)
        stack.extend(IndirectObject(n, 0, reader) for n in reader.xref_objStm)
        while stack:
            item = stack.pop()
            if isinstance(item, IndirectObject):
                key = (item.idnum, item.generation)
                if key in seen:
                    continue
                seen.add(key)
                if len(seen) > _PDF_MAX_OBJECTS:
                    raise _corrupt("PDF 文件")
                item = item.get_object()
            if isinstance(item, DictionaryObject):  # stream dictionaries included
                if _pdf_dict_is_active(item):
                    raise _pdf_active_content()
                stack.extend(v for k, v in item.items() if k != "/Parent")
            elif isinstance(item, ArrayObject):
                stack.extend(item)
    except (Invalid, TooLarge):
        raise
    except MemoryError:
        raise
    except (PdfReadError, Exception) as exc:  # malformed beyond what the parser recovers
        raise _corrupt("PDF 文件") from exc


# --- the pure entry point -----------------------------------------------------------------


def inspect_and_normalize(
    data: bytes, max_bytes: int, *, max_pixels: int = MAX_PIXELS, images_only: bool = False
) -> tuple[bytes, StoredFile]:
    """Check an upload and return the bytes to store with their description.

    Raises ``TooLarge("attachment.too_large")`` or ``Invalid`` with one of
    ``attachment.empty``, ``attachment.type_not_allowed``, ``attachment.corrupt``,
    ``attachment.pdf_active_content``, ``attachment.pdf_encrypted``.
    """
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    if len(data) == 0:
        raise Invalid("attachment.empty", "上传的文件是空的，请重新选择文件")
    if len(data) > max_bytes:
        raise _too_large(max_bytes)

    kind = _sniff(data)
    if kind is None:
        raise _not_allowed()
    if images_only and kind == _PDF:
        raise Invalid("attachment.type_not_allowed", "只能上传照片")

    if kind == _PDF:
        _check_pdf(data)
        stored = bytes(data)
        media_type, extension = "application/pdf", "pdf"
        width: int | None = None
        height: int | None = None
    else:
        stored, width, height = _normalize_image(data, kind, max_pixels)
        _, media_type, extension = _IMAGE_OUTPUT[kind]

    info = StoredFile(
        sha256=hashlib.sha256(stored).hexdigest(),
        media_type=media_type,
        size=len(stored),
        width=width,
        height=height,
        extension=extension,
    )
    return stored, info


# --- the store ----------------------------------------------------------------------------


class FileStore:
    """Content-addressed files under ``root``: ``<root>/<aa>/<bb>/<sha256>``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @staticmethod
    def _checked(sha256: object) -> str:
        if not isinstance(sha256, str) or not _SHA256_RE.fullmatch(sha256):
            raise Invalid("attachment.invalid_id", "附件标识无效")
        return sha256

    def path_for(self, sha256: str) -> Path:
        digest = self._checked(sha256)
        return self.root / digest[0:2] / digest[2:4] / digest

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        path = self.path_for(sha256)
        try:
            return path.open("rb")
        except FileNotFoundError as exc:
            raise NotFound("attachment.not_found", "附件不存在") from exc

    def put(
        self,
        data: bytes,
        max_bytes: int,
        *,
        max_pixels: int = MAX_PIXELS,
        images_only: bool = False,
    ) -> StoredFile:
        """Check, clean and store ``data``; nothing is written if it is refused."""
        stored, info = inspect_and_normalize(
            data, max_bytes, max_pixels=max_pixels, images_only=images_only
        )
        path = self.path_for(info.sha256)
        with contextlib.suppress(OSError):
            if path.stat().st_size == info.size:
                return info  # identical content is already there
        self._write_atomically(path, stored)
        return info

    @staticmethod
    def _write_atomically(path: Path, content: bytes) -> None:
        directory = path.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(content)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
