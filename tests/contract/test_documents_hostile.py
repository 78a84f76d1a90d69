"""Hostile and odd-but-legal bid files: refused fast, naming the file and the cap; text
in headers, footers and text boxes is found (DOC-40-5 must see a rival's name there)."""

from __future__ import annotations

import io
import random
import time
import tracemalloc
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter

from detectors.offline import run_detectors
from tests.support.document_events import document_detectors
from witness.documents_extract import Caps, ExtractError, extract_file
from witness.events import MAX_TEXT_CHARS
from witness.simulator.text_samples import CHARS, words


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """These tests read the reasons in English; the Chinese ones, which users see by
    default, are checked by test_extract_reasons_are_said_in_the_users_language."""
    monkeypatch.setenv("WITNESS_LOCALE", "en")


DOC = "word/document.xml"


def _base_docx() -> dict[str, bytes]:
    d = docx.Document()
    d.add_paragraph("正文第一段")
    buf = io.BytesIO()
    d.save(buf)
    z = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    return {name: z.read(name) for name in z.namelist()}


def _root_open(parts: dict[str, bytes]) -> str:
    xml = parts[DOC].decode()
    return xml[: xml.index("<w:body>")]


def _write(path: Path, parts: dict[str, bytes], stream: tuple[str, object] | None = None) -> Path:
    """Write a DOCX; `stream` = (name, iterator of byte chunks) is deflated as it goes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if stream is None or name != stream[0]:
                z.writestr(name, data)
        if stream is not None:
            with z.open(stream[0], "w") as fh:
                for chunk in stream[1]:
                    fh.write(chunk)
    return path


def _refused_fast(path: Path, *matches: str, seconds: float = 1.0, mb: int = 40) -> str:
    """Refused within `seconds` (timed alone) and `mb` of Python allocations (traced)."""
    t0 = time.perf_counter()
    with pytest.raises(ExtractError) as err:
        extract_file(path)
    elapsed = time.perf_counter() - t0
    tracemalloc.start()
    try:
        with pytest.raises(ExtractError):
            extract_file(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    text = err.value.describe()
    assert str(path) in text, text  # names the file
    for m in matches:
        assert m in text, text  # ... and the cap
    assert elapsed < seconds, f"{elapsed:.2f} s: {text}"
    assert peak < mb * 1024 * 1024, f"{peak / 2**20:.0f} MB: {text}"
    return text


# ---------------------------------------------------------------- DOCX


def test_zip_bomb_is_refused_from_the_directory_before_inflating(tmp_path):
    parts = _base_docx()
    head = (_root_open(parts) + "<w:body><w:p><w:r><w:t>").encode()
    chunks = [head] + [b"A" * (1 << 20)] * 140 + [b"</w:t></w:r></w:p></w:body></w:document>"]
    bomb = _write(tmp_path / "bomb.docx", parts, (DOC, iter(chunks)))
    assert bomb.stat().st_size < 400 * 1024  # ~140 KB on disk, 140 MB inflated
    _refused_fast(bomb, DOC, "cap")


def test_small_bomb_under_the_part_cap_is_refused_by_its_ratio(tmp_path):
    parts = _base_docx()
    body = _root_open(parts) + "<w:body><w:p><w:r><w:t>" + "啊" * 8_000_000 + "</w:t></w:r>"
    parts[DOC] = (body + "</w:p></w:body></w:document>").encode()
    bomb = _write(tmp_path / "small-bomb.docx", parts)
    assert bomb.stat().st_size < 100 * 1024  # the 32 KB class of the issue
    _refused_fast(bomb, "ratio cap")


def test_huge_single_paragraph_stops_at_the_character_budget(tmp_path):
    parts = _base_docx()
    # varied text (compresses ~2:1, so the ratio cap lets it through)
    text = "".join(random.Random(3).choices(CHARS, k=MAX_TEXT_CHARS + 600_000))
    body = _root_open(parts) + "<w:body><w:p><w:r><w:t>" + text + "</w:t></w:r></w:p>"
    parts[DOC] = (body + "</w:body></w:document>").encode()
    f = _write(tmp_path / "one-paragraph.docx", parts)
    _refused_fast(f, f"{MAX_TEXT_CHARS}-character text cap", DOC, seconds=3, mb=120)


def test_deep_nesting_is_refused_by_the_depth_cap(tmp_path):
    parts = _base_docx()
    depth = 20_000  # under 1 MB inflated: the ratio cap does not apply
    body = "<w:sdt><w:sdtContent>" * depth + "</w:sdtContent></w:sdt>" * depth
    parts[DOC] = (_root_open(parts) + "<w:body>" + body + "</w:body></w:document>").encode()
    _refused_fast(_write(tmp_path / "deep.docx", parts), "depth cap", seconds=2)


def test_entity_expansion_is_refused(tmp_path):
    parts = _base_docx()
    dtd = (
        '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "啊啊啊啊啊啊啊啊啊啊">'
        + "".join(f'<!ENTITY a{i} "&a{i - 1 if i else ""};' * 10 + '">' for i in range(1, 9))
        + "]>"
    )
    xml = parts[DOC].decode().split("?>", 1)[1].replace("正文第一段", "&a8;")
    parts[DOC] = (dtd + xml).encode()
    _refused_fast(_write(tmp_path / "laughs.docx", parts), "DTD")


def test_too_many_zip_entries_is_refused(tmp_path):
    parts = _base_docx()
    parts.update({f"customXml/junk{i}.xml": b"<a/>" for i in range(5_001)})
    _refused_fast(_write(tmp_path / "entries.docx", parts), "5000-entry cap")


def test_caps_are_configurable_and_named(tmp_path):
    parts = _base_docx()
    f = _write(tmp_path / "ok.docx", parts)
    assert "正文第一段" in extract_file(f).text
    with pytest.raises(ExtractError, match="over the 3-character text cap"):
        extract_file(f, Caps(max_chars=3))


def test_headers_footers_and_text_boxes_are_extracted_once(tmp_path):
    d = docx.Document()
    d.add_paragraph("正文：施工组织设计")
    d.sections[0].header.paragraphs[0].text = "页眉：甲建设集团有限公司"
    d.sections[0].footer.paragraphs[0].text = "页脚：统一社会信用代码91310000MA1K000001"
    buf = io.BytesIO()
    d.save(buf)
    z = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    parts = {name: z.read(name) for name in z.namelist()}
    box = (
        '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        "<a:graphicData><wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>文本框：乙工程有限公司"
        "</w:t></w:r></w:p></w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic>"
        "</wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>"
        "<w:txbxContent><w:p><w:r><w:t>文本框：乙工程有限公司</w:t></w:r></w:p></w:txbxContent>"
        "</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"
    )
    parts[DOC] = parts[DOC].replace(b"<w:body>", b"<w:body>" + box.encode())
    x = extract_file(_write(tmp_path / "parts.docx", parts))
    for text in (
        "正文：施工组织设计",
        "页眉：甲建设集团有限公司",
        "页脚：统一社会信用代码91310000MA1K000001",
    ):
        assert text in x.text
    assert x.text.count("文本框：乙工程有限公司") == 1  # the VML fallback copy is skipped


def test_a_rivals_name_in_a_footer_reaches_doc_40_5(tmp_path):
    from tests.support.document_events import bid_event, doc_event

    d = docx.Document()
    d.add_paragraph("".join(words(5, 400)))
    d.sections[0].footer.paragraphs[0].text = "编制单位：乙工程有限公司"
    f = tmp_path / "a.docx"
    d.save(f)
    text = extract_file(f).text
    events = [
        bid_event("P", "A", "甲建设集团有限公司", n=0),
        bid_event("P", "B", "乙工程有限公司", n=1),
        doc_event("P", "A", text, n=2),
    ]
    alerts = [a for a in run_detectors(events, document_detectors()) if a.rule == "DOC-40-5"]
    assert [a.subjects for a in alerts] == [["A", "B"]]


# ---------------------------------------------------------------- PDF


def _pdf(path: Path, pages: int) -> Path:
    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(width=200, height=200)
    with open(path, "wb") as fh:
        w.write(fh)
    return path


def test_pdf_page_cap_is_checked_before_any_text_is_extracted(tmp_path):
    f = _pdf(tmp_path / "pages.pdf", 30)
    assert extract_file(f).pages == 30
    t0 = time.perf_counter()
    with pytest.raises(ExtractError) as err:
        extract_file(f, Caps(max_pdf_pages=10))
    assert time.perf_counter() - t0 < 1
    assert str(f) in err.value.describe() and "30 pages, over the 10-page cap" in str(err.value)


def test_pdf_text_budget_stops_at_the_page_that_passes_it(tmp_path):
    from tests.contract.test_documents_extract import make_pdf

    f = make_pdf(tmp_path / "t.pdf", "本工程严格按照规范施工" * 3, author="a", xmp_id="x")
    with pytest.raises(ExtractError, match=r"over the 5-character text cap at page 1 of 1"):
        extract_file(f, Caps(max_chars=5))


def test_pdf_nested_too_deep_is_a_clear_error(tmp_path):
    nested = b"[" * 50_000 + b"]" * 50_000
    body = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /X " + nested + b" >>\nendobj\n"
    body += b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    xref = len(body)
    body += b"xref\n0 3\n0000000000 65535 f \n"
    body += b"0000000009 00000 n \n"
    body += b"%010d 00000 n \n" % body.index(b"2 0 obj")
    body += b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    f = tmp_path / "deep.pdf"
    f.write_bytes(body)
    t0 = time.perf_counter()
    try:
        x = extract_file(f)
    except ExtractError as exc:
        assert str(f) in exc.describe()
    else:  # pypdf may refuse to descend at all: then nothing was read, quickly
        assert x.text == ""
    assert time.perf_counter() - t0 < 2
