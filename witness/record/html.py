"""Blocks -> one self-contained HTML page (inline CSS, no scripts, no external files)."""

from __future__ import annotations

from html import escape

from witness.record.blocks import Document, Heading, Para, Signature, Table, Title

CSS = """
body{font-family:"WenQuanYi Zen Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
max-width:60em;margin:2em auto;padding:0 1em;color:#222;font-size:14px;line-height:1.5}
h1{text-align:center;margin-bottom:0}.subtitle{text-align:center;font-size:1.1em}
h2{color:#1f3a68;border-bottom:1px solid #c8d0dc;margin-top:1.6em;font-size:1.15em}
table{border-collapse:collapse;width:100%;margin:.3em 0 .8em}
th,td{border:1px solid #9aa4b2;padding:3px 6px;vertical-align:top;text-align:left;white-space:pre-line}
th{background:#e8edf4}tr.warn td{background:#fff4cc}
.note{color:#555;font-size:.9em}.warn{color:#8a1c1c;background:#fdecec;padding:.4em}
.mono{font-family:monospace;word-break:break-all}.strong{font-weight:bold;margin-top:.8em}
.sign{margin-top:2.5em}footer{margin-top:2em;color:#666;font-size:.8em}
"""


def _table(block: Table) -> str:
    warn = {row for row, _ in block.marks}
    head = "".join(f"<th>{escape(h)}</th>" for h in block.header)
    rows = []
    for i, row in enumerate(block.rows):
        cls = ' class="warn"' if i in warn else ""
        rows.append(f"<tr{cls}>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(doc: Document) -> bytes:
    parts = []
    for block in doc.blocks:
        if isinstance(block, Title):
            parts.append(f"<h1>{escape(block.text)}</h1>")
            if block.subtitle:
                parts.append(f'<p class="subtitle">{escape(block.subtitle)}</p>')
        elif isinstance(block, Heading):
            parts.append(f"<h2>{escape(block.text)}</h2>")
        elif isinstance(block, Para):
            text = escape(block.text).replace("\n", "<br>")
            parts.append(f'<p class="{block.style}">{text}</p>')
        elif isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Signature):
            parts.append(
                '<div class="sign">'
                + "".join(f"<p>{escape(x)}</p>" for x in block.lines)
                + "</div>"
            )
    body = "\n".join(parts)
    page = (
        f'<!DOCTYPE html>\n<html lang="{escape(doc.lang)}">\n<head><meta charset="utf-8">'
        f"<title>{escape(doc.title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n"
        f"<footer>{escape(doc.footer)}</footer>\n</body>\n</html>\n"
    )
    return page.encode("utf-8")
