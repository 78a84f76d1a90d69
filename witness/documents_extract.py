"""Text and metadata from bid documents (PDF, DOCX) for `document.submitted` events.

What the DOC rules need: the text (DOC-40-4, DOC-40-5) and the fields that betray a
shared preparer (DOC-META): author, last_modified_by, the DOCX `w:rsidRoot` (the
revision-session id Word stamps on a document when it is first created, kept through
every copy) and the PDF XMP `xmpMM:DocumentID`. The sha256 of the file goes with them
so an auditor can tie the event to the archived file.

The file type is sniffed from its bytes, not its name: a renamed .doc or a
password-protected Office file (both OLE containers) gets a message that says what to do.

Hostile files are refused before they cost much, with the file and the cap named
(`Caps`): a DOCX's ZIP directory is checked first (members, declared sizes, compression
ratio: a 32 KB zip bomb is refused in milliseconds instead of 15 s and 273 MB), then
its XML is stream-parsed with a character budget and a nesting limit (`witness.docx_text`);
a PDF's pages are counted before any text is extracted, text is extracted page by page
against the same character budget and a time budget, and pypdf's own decompression
limits surface as the same clear error.
"""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from witness.docx_text import Caps, docx_extract
from witness.errors import WitnessError, os_reason
from witness.events import UNSTORABLE  # what the contract refuses in any text
from witness.i18n import register, t

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_FILE_BYTES = 200 * 1024 * 1024

register(
    {
        "extract.bad_zip": (
            "ZIP 容器已损坏：不是可读的 DOCX 文件",
            "damaged ZIP container: not a readable DOCX file",
        ),
        "extract.zip_not_word": (
            "是 ZIP 文件，但不是 Word 文档（没有 word/document.xml）",
            "a ZIP file but not a Word document (no word/document.xml)",
        ),
        "extract.ole": (
            "是旧版 Word .doc 文件或有密码保护的 Office 文件：请另存为无密码的 .docx"
            "（或打印为 PDF）后再录入",
            "an old Word .doc file or a password-protected Office file: "
            "save it as an unprotected .docx (or print to PDF) and ingest that",
        ),
        "extract.empty": ("文件为空", "the file is empty"),
        "extract.unknown_kind": (
            "既不是 PDF 也不是 DOCX 文件（按文件开头的字节判断）",
            "neither a PDF nor a DOCX file (checked the file's first bytes)",
        ),
        "extract.file_cap": (
            "{size} 字节，超过 {cap} 字节的文件上限",
            "{size} bytes, over the {cap}-byte file cap",
        ),
        "extract.pdf_password_ask": (
            "PDF 有打开密码：请投标人提供无密码的文件",
            "the PDF is password-protected: ask the bidder for an unprotected copy",
        ),
        "extract.pdf_password": ("PDF 有打开密码", "the PDF is password-protected"),
        "extract.pages_cap": ("{n} 页，超过 {cap} 页的上限", "{n} pages, over the {cap}-page cap"),
        "extract.unstorable": (
            "去掉了 {n} 个无法保存的字符（U+0000 或孤立代理项，通常是字体缺少字符映射）",
            "{n} characters no store can keep were dropped (U+0000 or lone surrogates, "
            "usually a font without a character map)",
        ),
        "extract.page_cap": (
            "第 {page} 页：内容流 {size} 字节，超过 {cap} 字节的单页上限（可能是图纸），"
            "该页文字未提取",
            "page {page}: its content stream is {size} bytes, over the {cap}-byte page cap "
            "(a drawing?); its text is left out",
        ),
        "extract.chars_cap": (
            "在第 {page} 页（共 {n} 页）超过 {cap} 字符的文字上限",
            "over the {cap}-character text cap at page {page} of {n}",
        ),
        "extract.time_cap": (
            "提取文字到第 {page} 页（共 {n} 页）时超过 {cap} 秒的时间上限",
            "text extraction passed the {cap}-second cap at page {page} of {n}",
        ),
        "extract.pdf_inflate_cap": (
            "PDF 中有数据流超过 pypdf 的解压上限：{reason}",
            "a PDF stream is over pypdf's decompression cap: {reason}",
        ),
        "extract.pdf_nested": (
            "PDF 的对象嵌套过深，无法读取",
            "the PDF's objects are nested too deeply to read",
        ),
        "extract.pdf_unreadable": ("PDF 无法读取：{reason}", "unreadable PDF: {reason}"),
    }
)

__all__ = ["Caps", "ExtractError", "Extracted", "extract_bytes", "extract_file", "sniff"]


class ExtractError(WitnessError, ValueError):
    """A file we cannot read; the message says why and what to do, `source` names the file."""


@dataclass
class Extracted:
    kind: str  # "pdf" | "docx"
    text: str
    metadata: dict[str, str | None] = field(default_factory=dict)
    sha256: str = ""
    pages: int | None = None
    #: What was left out and why (e.g. a PDF page whose drawing is over the page cap).
    warnings: list[str] = field(default_factory=list)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = _storable(str(value))[0].strip()
    return text or None


def _storable(text: str) -> tuple[str, int]:
    """`text` without the characters no store keeps, and how many there were. A PDF
    whose font has no character map extracts as NULs: the contract then refused the
    whole bid document, so ingest-doc lost it for a few unreadable glyphs."""
    return UNSTORABLE.subn("", text)


def sniff(data: bytes) -> str:
    """'pdf' or 'docx', or raise ExtractError naming what the file looks like."""
    if data.lstrip(b"\x00\t\r\n ")[:5] == b"%PDF-":
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "word/document.xml" in z.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            raise ExtractError(t("extract.bad_zip")) from None
        raise ExtractError(t("extract.zip_not_word"))
    if data[:8] == _OLE:
        raise ExtractError(t("extract.ole"))
    if not data:
        raise ExtractError(t("extract.empty"))
    raise ExtractError(t("extract.unknown_kind"))


def extract_file(path: str | Path, caps: Caps | None = None) -> Extracted:
    """Extract `path`; every ExtractError names the file (`source`)."""
    p = Path(path)
    try:
        if p.is_dir():
            raise IsADirectoryError(p)
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ExtractError(t("extract.file_cap", size=size, cap=MAX_FILE_BYTES))
        data = p.read_bytes()
        return extract_bytes(data, caps)
    except ExtractError as exc:
        raise ExtractError(exc.message, source=str(p)) from None
    except OSError as exc:  # missing, a directory, no permission: said in the locale
        raise ExtractError(os_reason(exc), source=str(p)) from None


def extract_bytes(data: bytes, caps: Caps | None = None) -> Extracted:
    caps = caps or Caps()
    kind = sniff(data)
    if kind == "pdf":
        out = _pdf(data, caps)
    else:
        try:
            text, meta = docx_extract(data, caps)
        except ValueError as exc:  # docx_text raises ValueError with the cap named
            raise ExtractError(str(exc)) from None
        out = Extracted("docx", text, meta)
    out.text, dropped = _storable(out.text)
    if dropped:
        out.warnings.append(t("extract.unstorable", n=dropped))
    out.sha256 = hashlib.sha256(data).hexdigest()
    return out


# ---------------------------------------------------------------- PDF


def _pdf(data: bytes, caps: Caps) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError

    started = time.monotonic()
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # Many PDFs carry only an owner password (printing/copy limits) and open
            # with an empty user password; a real user password we cannot guess.
            try:
                ok = reader.decrypt("")
            except Exception:  # noqa: BLE001 - unsupported algorithm, missing crypto lib
                ok = 0
            if not ok:
                raise ExtractError(t("extract.pdf_password_ask"))
        n_pages = len(reader.pages)
        if n_pages > caps.max_pdf_pages:
            raise ExtractError(t("extract.pages_cap", n=n_pages, cap=caps.max_pdf_pages))
        pages, warnings, chars = [], [], 0
        for number, page in enumerate(reader.pages, start=1):
            content = page.get_contents()
            size = len(content.get_data()) if content is not None else 0
            if size > caps.max_pdf_page_bytes:
                warnings.append(
                    t("extract.page_cap", page=number, size=size, cap=caps.max_pdf_page_bytes)
                )
                pages.append("")
                continue
            text = page.extract_text() or ""
            chars += len(text) + 1
            if chars > caps.max_chars:
                raise ExtractError(
                    t("extract.chars_cap", cap=caps.max_chars, page=number, n=n_pages)
                )
            if time.monotonic() - started > caps.max_seconds:
                raise ExtractError(
                    t("extract.time_cap", cap=f"{caps.max_seconds:g}", page=number, n=n_pages)
                )
            pages.append(text)
        info = reader.metadata
        xmp = reader.xmp_metadata
    except ExtractError:
        raise
    except LimitReachedError as exc:
        raise ExtractError(t("extract.pdf_inflate_cap", reason=exc)) from None
    except RecursionError:
        raise ExtractError(t("extract.pdf_nested")) from None
    except FileNotDecryptedError:
        raise ExtractError(t("extract.pdf_password")) from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ExtractError(t("extract.pdf_unreadable", reason=exc)) from None
    meta: dict[str, str | None] = {
        "author": _clean(info.author) if info else None,
        "last_modified_by": None,
        "creator": _clean(info.creator) if info else None,
        "producer": _clean(info.producer) if info else None,
        "created": _iso(_safe(lambda: info.creation_date)) if info else None,
        "modified": _iso(_safe(lambda: info.modification_date)) if info else None,
        "rsid_root": None,
        "xmp_document_id": _clean(_safe(lambda: xmp.xmpmm_document_id)) if xmp else None,
    }
    return Extracted("pdf", "\n".join(pages), meta, pages=len(pages), warnings=warnings)


def _safe(get: Any) -> Any:
    """Metadata getters raise on malformed dates; a bad date is just missing."""
    try:
        return get()
    except Exception:  # noqa: BLE001
        return None
