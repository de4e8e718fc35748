"""A4 PDFs with an embedded CJK font: the hall posters and receipts (``intake.printing``)
and the daily summary (``insights.summary``) draw on the same page."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from bancheng.core.errors import DomainError

# Noto Sans CJK collections hold JP, KR, SC, TC, HK in this order: 2 is Simplified Chinese.
TTC_SC_INDEX = 2
FALLBACK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


class FontMissing(DomainError, status=503, code="print.font_missing"):
    """No CJK font on the server: PDFs cannot be drawn (install fonts-noto-cjk)."""


def find_cjk_font(font_path: str | None) -> str:
    """The configured CJK font, else the first installed fallback; ``FontMissing`` if none."""
    path = next(
        (p for p in (font_path, *FALLBACK_FONTS) if p and Path(p).is_file()),
        None,
    )
    if path is None:
        raise FontMissing(detail="未安装中文字体（fonts-noto-cjk），无法生成PDF")
    return path


def cjk_pdf(font_path: str | None, size: float = 14) -> FPDF:
    """An A4 document with the CJK font registered as ``cjk`` and a first page added.
    Shared by the posters, receipts and the daily summary."""
    path = find_cjk_font(font_path)
    pdf = FPDF(format="A4")
    index = TTC_SC_INDEX if path.endswith("NotoSansCJK-Regular.ttc") else 0
    pdf.add_font("cjk", "", path, collection_font_number=index)
    pdf.set_font("cjk", size=size)
    pdf.add_page()
    return pdf
