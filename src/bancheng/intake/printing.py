"""QR codes and printable PDFs (hall posters, walk-in receipts), on ``core.pdf``'s CJK page."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import urlencode

import qrcode
from fpdf import FPDF

from bancheng.core.pdf import cjk_pdf


def report_link(
    base: str, hall: int | None, window: int | None = None, staff: int | None = None
) -> str:
    query = {k: v for k, v in (("hall", hall), ("window", window), ("staff", staff)) if v}
    return f"{base.rstrip('/')}/m/report" + (f"?{urlencode(query)}" if query else "")


def status_link(base: str, number: str, token: str) -> str:
    return f"{base.rstrip('/')}/m/status?{urlencode({'no': number, 't': token})}"


def qr_png(data: str, box: int = 10) -> bytes:
    img = qrcode.make(data, box_size=box, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _qr_image(pdf: FPDF, data: str, x: float, y: float, w: float) -> None:
    pdf.image(io.BytesIO(qr_png(data)), x=x, y=y, w=w, h=w)


def poster_pdf(font_path: str, hall_name: str, subtitle: str, link: str) -> bytes:
    pdf = cjk_pdf(font_path)
    pdf.set_font_size(30)
    pdf.cell(0, 20, "“办不成事”反映窗口", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(18)
    pdf.cell(0, 12, hall_name, align="C", new_x="LMARGIN", new_y="NEXT")
    if subtitle:
        pdf.cell(0, 10, subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    _qr_image(pdf, link, x=45, y=70, w=120)
    pdf.set_y(200)
    pdf.set_font_size(16)
    pdf.multi_cell(
        0,
        10,
        "微信或手机相机扫码，反映您在办事中遇到的“办不成”“办不好”问题。\n"
        "可上传照片，受理后凭编号和手机号随时查询办理进度并评价。",
        align="C",
    )
    pdf.set_font_size(10)
    pdf.cell(0, 8, link, align="C")
    return bytes(pdf.output())


def receipt_pdf(
    font_path: str,
    *,
    number: str,
    title: str,
    reporter: str,
    registered: str,
    due: date | None,
    department: str,
    link: str,
) -> bytes:
    pdf = cjk_pdf(font_path)
    pdf.set_font_size(24)
    pdf.cell(0, 16, "受 理 回 执", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(14)
    rows = (
        ("受理编号", number),
        ("反映事项", title),
        ("反映人", reporter),
        ("受理时间", registered),
        ("受理单位", department),
        ("承诺办结", due.isoformat() if due else "按规定时限办理"),
    )
    for label, value in rows:
        pdf.cell(35, 10, label + "：")
        pdf.multi_cell(0, 10, value, new_x="LMARGIN", new_y="NEXT")
    _qr_image(pdf, link, x=140, y=pdf.get_y() + 5, w=50)
    pdf.set_y(pdf.get_y() + 8)
    pdf.multi_cell(
        120,
        8,
        "扫描右侧二维码，或在“掌上反映窗口”输入受理编号和手机号，"
        "可查询办理进度、接收一次性告知并评价。请妥善保管本回执。",
    )
    return bytes(pdf.output())
