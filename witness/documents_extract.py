"""Text and metadata from bid documents (PDF, DOCX) for `document.submitted` events.

What the DOC rules need: the text (DOC-40-4, DOC-40-5) and the fields that betray a
shared preparer (DOC-META): author, last_modified_by, the DOCX `w:rsidRoot` (the
revision-session id Word stamps on a document when it is first created, kept through
every copy) and the PDF XMP `xmpMM:DocumentID`. The sha256 of the file goes with them
so an auditor can tie the event to the archived file.

The file type is sniffed from its bytes, not its name: a renamed .doc or a
password-protected Office file (both OLE containers) gets a message that says what to do.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from witness.events import MAX_TEXT_CHARS

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_FILE_BYTES = 200 * 1024 * 1024


class ExtractError(ValueError):
    """A file we cannot read; the message says why and what to do."""


@dataclass
class Extracted:
    kind: str  # "pdf" | "docx"
    text: str
    metadata: dict[str, str | None] = field(default_factory=dict)
    sha256: str = ""
    pages: int | None = None


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
    text = str(value).strip()
    return text or None


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
            raise ExtractError("damaged ZIP container: not a readable DOCX file") from None
        raise ExtractError("a ZIP file but not a Word document (no word/document.xml)")
    if data[:8] == _OLE:
        raise ExtractError(
            "an old Word .doc file or a password-protected Office file: "
            "save it as an unprotected .docx (or print to PDF) and ingest that"
        )
    if not data:
        raise ExtractError("the file is empty")
    raise ExtractError("neither a PDF nor a DOCX file (checked the file's first bytes)")


def extract_file(path: str | Path) -> Extracted:
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise ExtractError(f"{p} is a directory, not a file")
        if size > MAX_FILE_BYTES:
            raise ExtractError(f"{p} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit")
        data = p.read_bytes()
    except FileNotFoundError:
        raise ExtractError(f"{p} does not exist") from None
    except PermissionError:
        raise ExtractError(f"{p} cannot be read (permission denied)") from None
    except IsADirectoryError:
        raise ExtractError(f"{p} is a directory, not a file") from None
    return extract_bytes(data)


def extract_bytes(data: bytes) -> Extracted:
    kind = sniff(data)
    out = _pdf(data) if kind == "pdf" else _docx(data)
    out.sha256 = hashlib.sha256(data).hexdigest()
    if len(out.text) > MAX_TEXT_CHARS:
        raise ExtractError(
            f"the text is {len(out.text)} characters, over the {MAX_TEXT_CHARS} the "
            "document.submitted event allows"
        )
    return out


# ---------------------------------------------------------------- PDF


def _pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

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
                raise ExtractError(
                    "the PDF is password-protected: ask the bidder for an unprotected copy"
                )
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
        xmp = reader.xmp_metadata
    except ExtractError:
        raise
    except FileNotDecryptedError:
        raise ExtractError("the PDF is password-protected") from None
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ExtractError(f"unreadable PDF: {exc}") from None
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
    return Extracted("pdf", "\n".join(pages), meta, pages=len(pages))


def _safe(get: Any) -> Any:
    """Metadata getters raise on malformed dates; a bad date is just missing."""
    try:
        return get()
    except Exception:  # noqa: BLE001
        return None


# ---------------------------------------------------------------- DOCX


def _docx(data: bytes) -> Extracted:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds
        raise ExtractError(f"unreadable DOCX: {exc}") from None
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    core = document.core_properties
    meta: dict[str, str | None] = {
        "author": _clean(core.author),
        "last_modified_by": _clean(core.last_modified_by),
        "creator": None,
        "producer": None,
        "created": _iso(core.created),
        "modified": _iso(core.modified),
        "rsid_root": None,
        "xmp_document_id": None,
    }
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = set(z.namelist())
        if "word/settings.xml" in names:
            meta["rsid_root"] = _rsid_root(z.read("word/settings.xml"))
        if "docProps/app.xml" in names:
            meta["creator"] = _app_name(z.read("docProps/app.xml"))
    return Extracted("docx", "\n".join(parts), meta)


def _rsid_root(settings_xml: bytes) -> str | None:
    try:
        root = ElementTree.fromstring(settings_xml)
    except ElementTree.ParseError:
        return None
    el = root.find(f"{_W}rsids/{_W}rsidRoot")
    value = el.get(f"{_W}val") if el is not None else None
    return value.upper() if value and re.fullmatch(r"[0-9A-Fa-f]{8}", value) else None


def _app_name(app_xml: bytes) -> str | None:
    try:
        root = ElementTree.fromstring(app_xml)
    except ElementTree.ParseError:
        return None
    for el in root:
        if el.tag.endswith("}Application"):
            return _clean(el.text)
    return None
