"""Attachment intake: content sniffing, metadata stripping, PDF checks, content-addressed store.

Every input is built here with Pillow / pillow-heif; only ``tmp_path`` is used.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pillow_heif
import pytest
from PIL import ExifTags, Image

from bancheng.cases.files import FileStore, StoredFile, inspect_and_normalize
from bancheng.core.errors import Invalid, NotFound, TooLarge

MB = 1024 * 1024
LIMIT = 10 * MB

RED = (220, 20, 20)
BLUE = (20, 20, 220)


# --- builders -----------------------------------------------------------------------------


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Model] = "iPhone 15"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (38.0, 29.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (106.0, 13.0, 50.0)
    return exif


def two_colour(size: tuple[int, int] = (40, 20)) -> Image.Image:
    """Left half red, right half blue."""
    img = Image.new("RGB", size, RED)
    img.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return img


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **params)
    return buf.getvalue()


def jpeg_with_gps() -> bytes:
    data = encode(
        two_colour((64, 48)),
        "JPEG",
        quality=95,
        exif=gps_exif(),
        comment=b"taken at home",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>38,29N</exif:GPSLatitude>'
        b"</x:xmpmeta>",
    )
    # Precondition: the input really carries the location.
    with Image.open(io.BytesIO(data)) as src:
        assert src.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
        assert "xmp" in src.info
        assert src.info["comment"] == b"taken at home"
    return data


def make_pdf(*objects: bytes) -> bytes:
    """A structurally valid PDF with a correct xref table; object 1 must be the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def minimal_pdf(catalog_extra: bytes = b"") -> bytes:
    content = b"BT /F1 24 Tf 72 720 Td (Hello) Tj ET"
    return make_pdf(
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    )


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def error_code(exc: pytest.ExceptionInfo[Exception]) -> str:
    return getattr(exc.value, "code", "")


# --- images -------------------------------------------------------------------------------


def _normalized(data: bytes, media_type: str, extension: str, size: tuple[int, int]) -> bytes:
    """What is stored of an accepted image, checking its type, extension and size."""
    stored, info = inspect_and_normalize(data, LIMIT)
    assert (info.media_type, info.extension, (info.width, info.height)) == (
        media_type,
        extension,
        size,
    )
    assert (info.size, info.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())
    return stored


def test_jpeg_gps_exif_xmp_and_comment_are_dropped() -> None:
    original = jpeg_with_gps()

    stored, info = inspect_and_normalize(original, LIMIT)

    assert info == StoredFile(
        sha256=hashlib.sha256(stored).hexdigest(),
        media_type="image/jpeg",
        size=len(stored),
        width=64,
        height=48,
        extension="jpg",
    )
    assert stored.startswith(b"\xff\xd8\xff")
    with Image.open(io.BytesIO(stored)) as out:
        assert out.format == "JPEG"
        assert dict(out.getexif()) == {}
        assert out.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert "exif" not in out.info
        assert "xmp" not in out.info
        assert "comment" not in out.info
    assert b"Exif\x00\x00" not in stored
    assert b"\xff\xe1" not in stored  # no APP1 segment at all (EXIF or XMP)
    assert b"Apple" not in stored
    assert b"GPSLatitude" not in stored
    assert b"taken at home" not in stored


def test_exif_orientation_is_applied_to_the_pixels() -> None:
    # Stored landscape 40x20, tagged "rotate 90° clockwise to display" (orientation 6).
    data = encode(two_colour((40, 20)), "JPEG", quality=95, exif=gps_exif(orientation=6))

    stored, info = inspect_and_normalize(data, LIMIT)

    assert (info.width, info.height) == (20, 40)
    with Image.open(io.BytesIO(stored)) as out:
        assert out.size == (20, 40)
        assert dict(out.getexif()) == {}  # no orientation tag left to rotate it twice
        rgb = out.convert("RGB")
        top, bottom = rgb.getpixel((10, 5)), rgb.getpixel((10, 34))
    # The left (red) half ends up on top after a clockwise quarter turn.
    assert isinstance(top, tuple)
    assert isinstance(bottom, tuple)
    assert top[0] > 180 and top[2] < 70
    assert bottom[2] > 180 and bottom[0] < 70


def test_png_stays_png_and_loses_text_and_exif() -> None:
    from PIL import PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    meta.add_text("Comment", "home address")
    img = Image.new("RGBA", (30, 10), (10, 200, 10, 128))
    data = encode(img, "PNG", pnginfo=meta, exif=gps_exif())

    stored = _normalized(data, "image/png", "png", (30, 10))
    assert stored.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(stored)) as out:
        assert out.format == "PNG"
        assert out.mode == "RGBA"
        assert out.getpixel((0, 0)) == (10, 200, 10, 128)  # lossless, alpha kept
        assert "Comment" not in out.info
        assert dict(out.getexif()) == {}
    assert b"eXIf" not in stored
    assert b"home address" not in stored


def test_gif_first_frame_becomes_png_with_transparency() -> None:
    frames = [Image.new("P", (12, 8), 1), Image.new("P", (12, 8), 2)]
    for frame in frames:
        frame.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255] + [0] * (256 * 3 - 9))
    frames[0].putpixel((0, 0), 0)
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], transparency=0)

    stored = _normalized(data, "image/png", "png", (12, 8))
    with Image.open(io.BytesIO(stored)) as out:
        assert out.format == "PNG"
        assert getattr(out, "n_frames", 1) == 1
        rgba = out.convert("RGBA")
        assert rgba.getpixel((5, 5)) == (255, 0, 0, 255)  # first frame (red), not the second
        assert rgba.getpixel((0, 0)) == (0, 0, 0, 0)  # transparent pixel stays transparent


def test_webp_stays_webp_without_exif() -> None:
    data = encode(two_colour((32, 16)), "WEBP", quality=90, exif=gps_exif())

    stored = _normalized(data, "image/webp", "webp", (32, 16))
    assert stored[:4] == b"RIFF" and stored[8:12] == b"WEBP"
    assert b"EXIF" not in stored
    with Image.open(io.BytesIO(stored)) as out:
        assert dict(out.getexif()) == {}


def test_heic_from_an_iphone_becomes_jpeg_without_gps() -> None:
    pillow_heif.register_heif_opener()
    data = encode(two_colour((48, 32)), "HEIF", quality=90, exif=gps_exif())
    assert data[4:12] == b"ftypheic"

    stored = _normalized(data, "image/jpeg", "jpg", (48, 32))
    assert stored.startswith(b"\xff\xd8\xff")
    with Image.open(io.BytesIO(stored)) as out:
        assert out.format == "JPEG"
        assert out.mode == "RGB"
        assert dict(out.getexif()) == {}
    assert b"Exif\x00\x00" not in stored


def test_same_image_normalizes_to_the_same_bytes() -> None:
    data = jpeg_with_gps()
    assert inspect_and_normalize(data, LIMIT) == inspect_and_normalize(data, LIMIT)


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 500, id="exe-named-jpg"),
        pytest.param(
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
            id="html-named-png",
        ),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', id="svg"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 100, id="zip"),
        pytest.param(b"II*\x00" + b"\x00" * 100, id="tiff"),
        pytest.param(b"BM" + b"\x00" * 100, id="bmp"),
        pytest.param(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", id="avif"),
        pytest.param("照片".encode() * 10, id="text"),
    ],
)
def test_non_images_are_refused_whatever_their_name(data: bytes) -> None:
    with pytest.raises(Invalid) as exc:
        inspect_and_normalize(data, LIMIT)
    assert error_code(exc) == "attachment.type_not_allowed"
    assert exc.value.status_code == 400


def test_empty_file_is_refused() -> None:
    with pytest.raises(Invalid) as exc:
        inspect_and_normalize(b"", LIMIT)
    assert error_code(exc) == "attachment.empty"


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_jpeg_is_refused(keep: float) -> None:
    data = jpeg_with_gps()
    with pytest.raises(Invalid) as exc:
        inspect_and_normalize(data[: int(len(data) * keep)], LIMIT)
    assert error_code(exc) == "attachment.corrupt"


def test_magic_bytes_with_garbage_behind_are_refused() -> None:
    for header in (
        b"\xff\xd8\xff\xe0",
        b"\x89PNG\r\n\x1a\n",
        b"GIF89a",
        b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    ):
        with pytest.raises(Invalid) as exc:
            inspect_and_normalize(header + b"<html>not an image</html>" * 4, LIMIT)
        assert error_code(exc) == "attachment.corrupt"


def test_oversized_upload_is_refused_with_too_large() -> None:
    data = jpeg_with_gps()
    with pytest.raises(TooLarge) as exc:
        inspect_and_normalize(data, len(data) - 1)
    assert error_code(exc) == "attachment.too_large"
    assert exc.value.status_code == 413
    # Exactly at the limit is fine.
    assert inspect_and_normalize(data, len(data))[1].media_type == "image/jpeg"


def test_too_many_pixels_is_refused_before_decoding() -> None:
    data = encode(Image.new("1", (10_000, 5_001)), "PNG")  # 50.01 MP, a few kB
    assert len(data) < 100_000
    with pytest.raises(TooLarge) as exc:
        inspect_and_normalize(data, LIMIT)
    assert error_code(exc) == "attachment.too_large"
    # A smaller cap applies when passed.
    with pytest.raises(TooLarge):
        inspect_and_normalize(encode(Image.new("L", (100, 100)), "PNG"), LIMIT, max_pixels=9_999)


def test_decompression_bomb_header_is_refused() -> None:
    # A PNG claiming 30000 x 30000 pixels (900 MP) with almost no data behind it.
    ihdr = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )
    with pytest.raises(TooLarge) as exc:
        inspect_and_normalize(data, LIMIT)
    assert error_code(exc) == "attachment.too_large"


# --- PDF ----------------------------------------------------------------------------------


def test_minimal_pdf_is_accepted_byte_for_byte() -> None:
    data = minimal_pdf()

    stored, info = inspect_and_normalize(data, LIMIT)

    assert stored == data
    assert info == StoredFile(
        sha256=hashlib.sha256(data).hexdigest(),
        media_type="application/pdf",
        size=len(data),
        width=None,
        height=None,
        extension="pdf",
    )


@pytest.mark.parametrize(
    "catalog_extra",
    [
        pytest.param(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ", id="javascript"),
        pytest.param(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> ", id="escaped"),
        pytest.param(b"/Names << /EmbeddedFiles << /Names [] >> >> ", id="embedded-files"),
        pytest.param(
            b"/AF [<< /Type /Filespec /F (a.exe) /EF << /F << /Type /EmbeddedFile >> >> >>] ",
            id="embedded-file",
        ),
        pytest.param(b"/OpenAction << /S /Launch /F (cmd.exe) >> ", id="launch"),
    ],
)
def test_pdf_with_active_content_is_refused(catalog_extra: bytes) -> None:
    with pytest.raises(Invalid) as exc:
        inspect_and_normalize(minimal_pdf(catalog_extra), LIMIT)
    assert error_code(exc) == "attachment.pdf_active_content"


def objstm_pdf(hidden: bytes, catalog_extra: bytes) -> bytes:
    """A PDF 1.5 whose object 5 lives only inside a compressed object stream (object 6),
    indexed by a cross-reference stream (object 7): nothing of object 5 is in the file's
    bytes uncompressed."""
    content = b"BT /F1 24 Tf 72 720 Td (Hello) Tj ET"
    plain = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(plain, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    header = b"5 0 "
    packed = zlib.compress(header + hidden)
    offsets.append(0)  # object 5: in the stream
    objstm_at = len(out)
    out += (
        b"6 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(packed))
        + packed
        + b"\nendstream\nendobj\n"
    )
    xref_at = len(out)
    rows = [b"\x00" + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")]
    for n, off in enumerate(offsets, start=1):
        if n == 5:
            rows.append(b"\x02" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big"))
        else:
            rows.append(b"\x01" + off.to_bytes(4, "big") + (0).to_bytes(2, "big"))
    rows.append(b"\x01" + objstm_at.to_bytes(4, "big") + (0).to_bytes(2, "big"))
    rows.append(b"\x01" + xref_at.to_bytes(4, "big") + (0).to_bytes(2, "big"))
    table = zlib.compress(b"".join(rows))
    out += (
        b"7 0 obj\n<< /Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode"
        b" /Length %d >>\nstream\n" % len(table) + table + b"\nendstream\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


# Active content hidden in object 5 (inside the object stream): the test's id, the catalog
# key that points at object 5, and object 5.
HIDDEN_IN_OBJSTM = {
    "openaction-js": (b"/OpenAction", b"<< /S /JavaScript /JS (app.alert(1)) >>"),
    "name-tree-js": (
        b"/Names",
        b"<< /JavaScript << /Names [(a) << /S /JavaScript /JS (x) >>] >> >>",
    ),
    "name-tree-embedded": (
        b"/Names",
        b"<< /EmbeddedFiles << /Names [(a.exe) << /Type /Filespec /F (a.exe) >>] >> >>",
    ),
    "launch": (b"/OpenAction", b"<< /S /Launch /F (cmd.exe) >>"),
    "xfa": (b"/AcroForm", b"<< /XFA [(x) 4 0 R] /Fields [] >>"),
    "aa-escaped-names": (b"/AA", b"<< /O << /S /J#61vaScript /J#53 (x) >> >>"),
    "richmedia": (b"/Extra", b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 1 1] >>"),
}


@pytest.mark.parametrize(
    ("key", "hidden"), list(HIDDEN_IN_OBJSTM.values()), ids=list(HIDDEN_IN_OBJSTM)
)
def test_active_content_inside_a_compressed_object_stream_is_refused(
    key: bytes, hidden: bytes
) -> None:
    data = objstm_pdf(hidden, key + b" 5 0 R ")
    for word in (b"JavaScript", b"Launch", b"XFA", b"EmbeddedFiles", b"RichMedia", b"J#61"):
        assert word not in data  # a byte search finds nothing
    with pytest.raises(Invalid) as exc:
        inspect_and_normalize(data, LIMIT)
    assert error_code(exc) == "attachment.pdf_active_content"


def test_a_harmless_object_stream_pdf_is_accepted() -> None:
    # Opening at the first page (a destination array) is not an action.
    data = objstm_pdf(b"<< /Title (Scan) >>", b"/OpenAction [3 0 R /Fit] /Extra 5 0 R ")
    stored, info = inspect_and_normalize(data, LIMIT)
    assert stored == data and info.media_type == "application/pdf"


def test_javascript_on_a_page_action_is_refused() -> None:
    data = make_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /AA << /O << /S /JavaScript /JS (x) >> >> >>",
    )
    with pytest.raises(Invalid) as exc:
        inspect_and_normalize(data, LIMIT)
    assert error_code(exc) == "attachment.pdf_active_content"


def binary_stream_pdf(payload: bytes) -> bytes:
    """A one-page PDF with an image object (5) whose stream body is ``payload``."""
    content = b"BT /F1 24 Tf 72 720 Td (Hello) Tj ET"
    image = b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /Length %d >>\nstream\n" % len(
        payload
    )
    return make_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /XObject << /Im1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        image + payload + b"\nendstream",
    )


def test_text_inside_a_stream_body_is_data_not_an_object() -> None:
    # The parser reads the body as image data: an "object" written inside it is not one.
    data = binary_stream_pdf(b"7 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj")
    stored, _ = inspect_and_normalize(data, LIMIT)
    assert stored == data


def test_encrypted_pdf_is_refused() -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt(user_password="", owner_password="owner")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(Invalid) as exc:
        inspect_and_normalize(buf.getvalue(), LIMIT)
    assert error_code(exc) == "attachment.pdf_encrypted"


@pytest.mark.parametrize("build", ["js", "attachment"])
def test_active_content_added_by_a_pdf_library_is_refused(build: str) -> None:
    from pypdf import PdfWriter
    from pypdf.actions import JavaScript

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if build == "js":
        writer.add_open_action(JavaScript("app.alert(1);"))
    else:
        writer.add_attachment("run.exe", b"MZ\x90\x00")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(Invalid) as exc:
        inspect_and_normalize(buf.getvalue(), LIMIT)
    assert error_code(exc) == "attachment.pdf_active_content"


def test_short_names_by_chance_inside_binary_streams_are_not_active_content() -> None:
    # Scanned pages are big binary streams; "/JS" followed by a delimiter occurs in them by
    # chance and must not get a citizen's scan refused.
    data = binary_stream_pdf(b"\x8f\x02/JS (\x91\xfe/XF\x00")
    stored, info = inspect_and_normalize(data, LIMIT)
    assert stored == data
    assert info.media_type == "application/pdf"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.7\n", id="header-only"),
        pytest.param(minimal_pdf()[:-200], id="truncated-no-eof"),
        pytest.param(b"%PDF-1.4\n" + b"A" * 5000 + b"\n%%EOF\n", id="no-objects"),
    ],
)
def test_broken_pdf_is_refused(data: bytes) -> None:
    with pytest.raises(Invalid) as exc:
        inspect_and_normalize(data, LIMIT)
    assert error_code(exc) == "attachment.corrupt"


# --- the store ----------------------------------------------------------------------------


def test_put_stores_content_addressed_and_readable(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "attachments")

    info = store.put(jpeg_with_gps(), LIMIT)

    path = store.path_for(info.sha256)
    assert path == tmp_path / "attachments" / info.sha256[:2] / info.sha256[2:4] / info.sha256
    assert files_under(tmp_path) == [path]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == info.sha256
    assert path.stat().st_size == info.size
    assert store.exists(info.sha256)
    with store.open(info.sha256) as fh:
        assert b"Exif\x00\x00" not in fh.read()


def test_identical_uploads_are_stored_once(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    data = jpeg_with_gps()

    first = store.put(data, LIMIT)
    second = store.put(data, LIMIT)
    pdf = store.put(minimal_pdf(), LIMIT)

    assert first == second
    assert pdf.sha256 != first.sha256
    assert files_under(tmp_path) == sorted(
        [store.path_for(first.sha256), store.path_for(pdf.sha256)]
    )


def test_refused_uploads_write_nothing(tmp_path: Path) -> None:
    root = tmp_path / "attachments"
    store = FileStore(root)
    data = jpeg_with_gps()

    with pytest.raises(TooLarge) as exc:
        store.put(data, 100)
    assert error_code(exc) == "attachment.too_large"
    with pytest.raises(Invalid):
        store.put(b"MZ" + b"\x00" * 100, LIMIT)
    with pytest.raises(Invalid):
        store.put(minimal_pdf(b"/OpenAction << /S /JavaScript /JS (x) >> "), LIMIT)

    assert not root.exists() or files_under(root) == []


@pytest.mark.parametrize(
    "bad",
    [
        "../../etc/passwd",
        "../" * 21 + "a",
        "0" * 63,
        "0" * 65,
        "0" * 64 + "\n",
        "0" * 62 + "/.",
        "A" * 64,
        "g" * 64,
        "",
    ],
)
def test_malformed_hashes_never_become_paths(tmp_path: Path, bad: str) -> None:
    store = FileStore(tmp_path)
    for call in (store.path_for, store.exists, store.open):
        with pytest.raises(Invalid) as exc:
            call(bad)
        assert error_code(exc) == "attachment.invalid_id"


def test_open_missing_file_is_not_found(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    missing = "ab" * 32
    assert store.exists(missing) is False
    with pytest.raises(NotFound) as exc:
        store.open(missing)
    assert error_code(exc) == "attachment.not_found"


def test_put_repairs_a_damaged_copy(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    info = store.put(minimal_pdf(), LIMIT)
    store.path_for(info.sha256).write_bytes(b"%PDF-")  # e.g. a crash outside this code

    again = store.put(minimal_pdf(), LIMIT)

    assert again == info
    assert store.path_for(info.sha256).read_bytes() == minimal_pdf()
    assert files_under(tmp_path) == [store.path_for(info.sha256)]  # no temp files left
