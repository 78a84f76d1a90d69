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
from witness.errors import WitnessError

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_FILE_BYTES = 200 * 1024 * 1024

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


def extract_file(path: str | Path, caps: Caps | None = None) -> Extracted:
    """Extract `path`; every ExtractError names the file (`source`)."""
    p = Path(path)
    try:
        if p.is_dir():
            raise ExtractError("a directory, not a file")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ExtractError(f"{size} bytes, over the {MAX_FILE_BYTES}-byte file cap")
        data = p.read_bytes()
        return extract_bytes(data, caps)
    except ExtractError as exc:
        raise ExtractError(exc.message, source=str(p)) from None
    except FileNotFoundError:
        raise ExtractError("does not exist", source=str(p)) from None
    except PermissionError:
        raise ExtractError("cannot be read (permission denied)", source=str(p)) from None
    except IsADirectoryError:
        raise ExtractError("a directory, not a file", source=str(p)) from None


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
                raise ExtractError(
                    "the PDF is password-protected: ask the bidder for an unprotected copy"
                )
        n_pages = len(reader.pages)
        if n_pages > caps.max_pdf_pages:
            raise ExtractError(f"{n_pages} pages, over the {caps.max_pdf_pages}-page cap")
        pages, warnings, chars = [], [], 0
        for number, page in enumerate(reader.pages, start=1):
            content = page.get_contents()
            size = len(content.get_data()) if content is not None else 0
            if size > caps.max_pdf_page_bytes:
                warnings.append(
                    f"page {number}: its content stream is {size} bytes, over the "
                    f"{caps.max_pdf_page_bytes}-byte page cap (a drawing?); its text is left out"
                )
                pages.append("")
                continue
            text = page.extract_text() or ""
            chars += len(text) + 1
            if chars > caps.max_chars:
                raise ExtractError(
                    f"over the {caps.max_chars}-character text cap at page {number} of {n_pages}"
                )
            if time.monotonic() - started > caps.max_seconds:
                raise ExtractError(
                    f"text extraction passed the {caps.max_seconds:g}-second cap at page "
                    f"{number} of {n_pages}"
                )
            pages.append(text)
        info = reader.metadata
        xmp = reader.xmp_metadata
    except ExtractError:
        raise
    except LimitReachedError as exc:
        raise ExtractError(f"a PDF stream is over pypdf's decompression cap: {exc}") from None
    except RecursionError:
        raise ExtractError("the PDF's objects are nested too deeply to read") from None
    except FileNotDecryptedError:
        raise ExtractError("the PDF is password-protected") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
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
    return Extracted("pdf", "\n".join(pages), meta, pages=len(pages), warnings=warnings)


def _safe(get: Any) -> Any:
    """Metadata getters raise on malformed dates; a bad date is just missing."""
    try:
        return get()
    except Exception:  # noqa: BLE001
        return None
