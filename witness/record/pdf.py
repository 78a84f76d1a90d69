"""Blocks -> PDF with ReportLab (A4, the record font, a footer on every page).

`invariant` output: the same blocks give the same bytes (no creation time or random id
in the file), so a document's SHA-256 depends only on what it says.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from witness.record.blocks import Document, Heading, Para, Signature, Table, Title
from witness.record.fonts import record_font

MARK_COLOURS = {"warn": "#fff4cc", "red": "#fde0e0", "orange": "#ffe9d6", "yellow": "#fffbe0"}


def _text(s: str) -> str:
    return escape(s).replace("\n", "<br/>")


def _styles(font: str) -> dict:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13.5, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontSize=20, leading=26, alignment=TA_CENTER),
        "subtitle": ParagraphStyle(
            "subtitle", base, fontSize=11.5, leading=16, alignment=TA_CENTER, spaceAfter=8
        ),
        "heading": ParagraphStyle(
            "heading",
            base,
            fontSize=12.5,
            leading=17,
            spaceBefore=12,
            spaceAfter=5,
            textColor=colors.HexColor("#1f3a68"),
        ),
        "normal": ParagraphStyle("normal", base, spaceAfter=3),
        "note": ParagraphStyle(
            "note",
            base,
            fontSize=8.5,
            leading=12,
            textColor=colors.HexColor("#555555"),
            spaceAfter=3,
        ),
        "warn": ParagraphStyle(
            "warn",
            base,
            textColor=colors.HexColor("#8a1c1c"),
            backColor=colors.HexColor("#fdecec"),
            borderPadding=4,
            spaceBefore=4,
            spaceAfter=8,
        ),
        "mono": ParagraphStyle("mono", base, fontName="Courier", fontSize=8.5, leading=12),
        "strong": ParagraphStyle(
            "strong", base, fontSize=10.5, leading=15, spaceBefore=6, spaceAfter=3
        ),
        "cell": ParagraphStyle("cell", base, fontSize=8.5, leading=11.5),
        "head": ParagraphStyle("head", base, fontSize=8.5, leading=11.5),
    }


def _table(block: Table, styles: dict, width: float):
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, TableStyle
    from reportlab.platypus import Table as RLTable

    n = len(block.header)
    weights = block.widths or (1.0,) * n
    total = sum(weights)
    widths = [width * w / total for w in weights]
    data = [[Paragraph(_text(h), styles["head"]) for h in block.header]]
    data += [[Paragraph(_text(c), styles["cell"]) for c in row] for row in block.rows]
    style = [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa4b2")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf4")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for row, mark in block.marks:
        colour = MARK_COLOURS.get(mark, MARK_COLOURS["warn"])
        style.append(("BACKGROUND", (0, row + 1), (-1, row + 1), colors.HexColor(colour)))
    return RLTable(data, colWidths=widths, repeatRows=1, style=TableStyle(style))


def render_pdf(doc: Document) -> bytes:
    """The document as PDF bytes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = record_font()
    styles = _styles(font.name)
    buf = io.BytesIO()
    margin = 18 * mm
    template = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin + 4 * mm,
        title=doc.title,
        author="Witness",
        subject=doc.subject,
        lang=doc.lang,
        invariant=1,
    )
    width = A4[0] - 2 * margin

    def footer(canvas, _doc) -> None:
        canvas.saveState()
        canvas.setFont(font.name, 7.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(margin, margin - 2 * mm, doc.footer)
        canvas.drawRightString(A4[0] - margin, margin - 2 * mm, f"{canvas.getPageNumber()}")
        canvas.restoreState()

    story: list = []
    for block in doc.blocks:
        if isinstance(block, Title):
            story.append(Paragraph(_text(block.text), styles["title"]))
            if block.subtitle:
                story.append(Paragraph(_text(block.subtitle), styles["subtitle"]))
        elif isinstance(block, Heading):
            story.append(Paragraph(_text(block.text), styles["heading"]))
        elif isinstance(block, Para):
            story.append(Paragraph(_text(block.text), styles[block.style]))
        elif isinstance(block, Table):
            story += [_table(block, styles, width), Spacer(1, 4)]
        elif isinstance(block, Signature):
            story.append(Spacer(1, 18))
            story += [Paragraph(_text(line), styles["normal"]) for line in block.lines]
    template.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
