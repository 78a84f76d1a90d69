"""Extraction from real DOCX/PDF files built in tmp_path, and `witness ingest-doc`."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from witness.cli import main
from witness.documents_extract import ExtractError, extract_file
from witness.events import parse_event


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """These tests read the reasons in English; the Chinese ones, which users see by
    default, are checked by test_extract_reasons_are_said_in_the_users_language."""
    monkeypatch.setenv("WITNESS_LOCALE", "en")


ZH = "本工程严格按照国家现行施工规范组织施工，确保工期与质量。"


def make_docx(path: Path, *, author: str, modified_by: str, rsid: str) -> Path:
    d = docx.Document()
    d.add_paragraph("技术标")
    d.add_paragraph(ZH)
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "项目经理"
    table.cell(0, 1).text = "张三"
    d.core_properties.author = author
    d.core_properties.last_modified_by = modified_by
    d.core_properties.created = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    buf = io.BytesIO()
    d.save(buf)
    # Put our own rsidRoot into word/settings.xml (python-docx's template has one fixed).
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/settings.xml":
                data = re.sub(
                    rb'rsidRoot w:val="[0-9A-F]+"', f'rsidRoot w:val="{rsid}"'.encode(), data
                )
            out.writestr(item, data)
    return path


def _to_unicode_cmap(chars: str) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
        f"{len(chars)} beginbfchar",
    ]
    lines += [f"<{i + 1:04X}> <{ord(c):04X}>" for i, c in enumerate(chars)]
    lines += ["endbfchar", "endcmap CMapName currentdict /CMap defineresource pop end end"]
    return "\n".join(lines).encode()


def make_pdf(
    path: Path, text: str, *, author: str, xmp_id: str, password: str | None = None
) -> Path:
    """A one-page PDF whose Chinese text is extractable: a Type0 font with a ToUnicode map."""
    w = PdfWriter()
    page = w.add_blank_page(width=595, height=842)
    chars = "".join(dict.fromkeys(text))
    glyphs = "".join(f"{chars.index(c) + 1:04X}" for c in text)
    cmap = DecodedStreamObject()
    cmap.set_data(_to_unicode_cmap(chars))
    cid_font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType0"),
            NameObject("/BaseFont"): NameObject("/STSong-Light"),
            NameObject("/CIDSystemInfo"): DictionaryObject(
                {
                    NameObject("/Registry"): TextStringObject("Adobe"),
                    NameObject("/Ordering"): TextStringObject("Identity"),
                    NameObject("/Supplement"): NumberObject(0),
                }
            ),
        }
    )
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): NameObject("/STSong-Light"),
            NameObject("/Encoding"): NameObject("/Identity-H"),
            NameObject("/DescendantFonts"): ArrayObject([w._add_object(cid_font)]),
            NameObject("/ToUnicode"): w._add_object(cmap),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): w._add_object(font)})}
    )
    content = DecodedStreamObject()
    content.set_data(f"BT /F1 12 Tf 72 760 Td <{glyphs}> Tj ET".encode())
    page[NameObject("/Contents")] = w._add_object(content)
    w.add_metadata({"/Author": author, "/Creator": "WPS 文字", "/Producer": "witness-test"})
    w.xmp_metadata = (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">'
        f"<xmpMM:DocumentID>{xmp_id}</xmpMM:DocumentID>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()
    if password:
        w.encrypt(user_password=password, owner_password="owner", algorithm="RC4-128")
    with open(path, "wb") as fh:
        w.write(fh)
    return path


def test_docx_text_core_properties_and_rsid_root(tmp_path: Path) -> None:
    f = make_docx(tmp_path / "bid.docx", author="李四", modified_by="王五", rsid="00C0FFEE")
    x = extract_file(f)
    assert x.kind == "docx"
    assert ZH in x.text and "项目经理\t张三" in x.text
    m = x.metadata
    assert (m["author"], m["last_modified_by"], m["rsid_root"]) == ("李四", "王五", "00C0FFEE")
    assert m["created"].startswith("2026-11-01T08:00")
    import hashlib

    assert x.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()


def test_pdf_chinese_text_info_and_xmp_document_id(tmp_path: Path) -> None:
    f = make_pdf(tmp_path / "bid.pdf", ZH, author="赵六", xmp_id="xmp.did:1234-ABCD")
    x = extract_file(f)
    assert x.kind == "pdf" and x.pages == 1
    assert ZH in x.text.replace(" ", "").replace("\n", "")
    assert x.metadata["author"] == "赵六"
    assert x.metadata["creator"] == "WPS 文字"
    assert x.metadata["xmp_document_id"] == "xmp.did:1234-ABCD"


def test_encrypted_pdf_is_a_clear_error_owner_only_password_opens(tmp_path: Path) -> None:
    locked = make_pdf(tmp_path / "locked.pdf", ZH, author="a", xmp_id="x", password="secret")
    with pytest.raises(ExtractError, match="password"):
        extract_file(locked)
    opened = make_pdf(tmp_path / "owner.pdf", ZH, author="a", xmp_id="x", password="")
    assert ZH in extract_file(opened).text.replace(" ", "").replace("\n", "")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"hello, plain text", "neither a PDF nor a DOCX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "save it as an unprotected .docx"),
        (b"%PDF-1.7\n garbage", "unreadable PDF"),
    ],
)
def test_unsupported_or_broken_files(tmp_path: Path, content: bytes, message: str) -> None:
    f = tmp_path / "file.bin"
    f.write_bytes(content)
    with pytest.raises(ExtractError, match=message):
        extract_file(f)


def test_zip_that_is_not_word(tmp_path: Path) -> None:
    f = tmp_path / "x.docx"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ExtractError, match="not a Word document"):
        extract_file(f)


def test_ingest_doc_appends_a_valid_event(tmp_path: Path, capsys) -> None:
    out = tmp_path / "events.jsonl"
    f = make_docx(tmp_path / "bid.docx", author="李四", modified_by="王五", rsid="00C0FFEE")
    args = ["ingest-doc", str(f), "--project", "JY-1", "--bidder", "91310000MA1K000001"]
    assert main([*args, "--out", str(out), "--ts", "2026-11-20T09:30:00+08:00"]) == 0
    assert main([*args, "--kind", "commercial", "--doc-id", "c1", "--out", str(out)]) == 0
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) == 2
    ev = parse_event(lines[0])
    assert ev.type == "document.submitted" and ev.project_id == "JY-1"
    assert ev.payload.owner == "91310000MA1K000001" and ev.payload.kind == "technical"
    assert ev.payload.metadata.rsid_root == "00C0FFEE"
    assert ev.payload.sha256 and ev.payload.doc_id.endswith(ev.payload.sha256[:12])
    assert ZH in ev.payload.text
    second = json.loads(lines[1])
    assert (second["payload"]["doc_id"], second["payload"]["kind"]) == ("c1", "commercial")


def test_a_pdf_whose_font_maps_glyphs_to_nul_is_kept_without_them(tmp_path: Path, capsys):
    """A glyph the font's character map sends to U+0000: the contract refused the whole
    document ("contains a NUL character"), so ingest-doc lost the bid for it."""
    text = ZH[:10] + "\x00\x00" + ZH[10:]
    f = make_pdf(tmp_path / "bid.pdf", text, author="李\x00四", xmp_id="uuid:1")
    out = tmp_path / "events.jsonl"
    args = ["ingest-doc", str(f), "--project", "JY-1", "--bidder", "91310000MA1K000001"]
    assert main([*args, "--out", str(out)]) == 0
    assert "2 characters no store can keep were dropped" in capsys.readouterr().err
    (line,) = out.read_text("utf-8").splitlines()
    ev = parse_event(line)
    assert ev.payload.text.replace("\n", "") == ZH
    assert ev.payload.metadata.author == "李四"


def test_ingest_doc_rejects_unreadable_file_with_exit_2(tmp_path: Path, capsys) -> None:
    f = tmp_path / "scan.jpg"
    f.write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    out = tmp_path / "events.jsonl"
    rc = main(["ingest-doc", str(f), "--project", "P", "--bidder", "B", "--out", str(out)])
    assert rc == 2
    assert "neither a PDF nor a DOCX" in capsys.readouterr().err
    assert not out.exists()
    missing = main(["ingest-doc", str(tmp_path / "nope.pdf"), "--project", "P", "--bidder", "B"])
    assert missing == 2


def test_extract_reasons_are_said_in_the_users_language(tmp_path: Path, capsys, monkeypatch):
    """ingest-doc said every reason in English inside a Chinese line ('无法读取 x：the file
    is empty'), the directory and missing-file ones too."""
    from witness.i18n import _MESSAGES

    monkeypatch.setenv("WITNESS_LOCALE", "zh-CN")
    empty = tmp_path / "空.pdf"
    empty.write_bytes(b"")
    text = tmp_path / "说明.pdf"
    text.write_text("hello", "utf-8")
    many = tmp_path / "many.docx"
    with zipfile.ZipFile(many, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
        for i in range(5000):
            z.writestr(f"x/{i}", "")
    cases = {
        empty: "文件为空",
        text: "既不是 PDF 也不是 DOCX 文件",
        tmp_path: "是目录，不是文件",
        tmp_path / "无.pdf": "找不到文件",
        many: "个条目，超过",
    }
    for path, reason in cases.items():
        rc = main(["ingest-doc", str(path), "--project", "P", "--bidder", "B"])
        err = capsys.readouterr().err
        assert rc == 2 and f"无法读取 {path}：" in err and reason in err, err
        assert not re.search(r"[A-Za-z]{4,} [a-z]{3,}", err.replace(str(path), "")), err
    keys = [k for k in _MESSAGES if k.startswith(("extract.", "docx."))]
    assert len(keys) >= 20
    for key in keys:  # every reason has its own Chinese, not the English copied
        zh, en = _MESSAGES[key]["zh-CN"], _MESSAGES[key]["en"]
        assert zh != en and re.search(r"[\u4e00-\u9fff]", zh), key
