"""DOCX text in bounded memory and time: ZIP directory checks, then a streaming XML parse.

python-docx builds the whole document tree before anyone can count its characters (a
32 KB DOCX whose document.xml inflates to a few hundred MB cost 15.6 s and 273 MB before
the old 2 M-character check ran). Here every cap is known before parsing:

1. the ZIP central directory: number of members, each part's declared uncompressed size
   and its compression ratio (`zipfile` never inflates past the declared size, so the
   declared size is a real bound), and the total we would inflate;
2. the XML is fed to expat in 64 KB chunks through a target that keeps only text, so
   memory is the text itself; it stops the moment the text passes `max_chars` or the
   element nesting passes `max_depth`; a DTD (the door to entity expansion) is refused.

Text comes from the body, every header and footer part, footnotes and endnotes, and text
boxes (`w:txbxContent`, which the body's paragraph list never shows): DOC-40-5 looks for a
rival's name there too. The legacy VML copy of a text box (`mc:Fallback`) is skipped so a
box is not read twice. Table cells are joined by tabs, rows by new lines.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from xml.etree import ElementTree

from witness.errors import WitnessError
from witness.events import MAX_TEXT_CHARS
from witness.i18n import register, t

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_CORE = {
    "{http://purl.org/dc/elements/1.1/}creator": "author",
    "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}lastModifiedBy": (
        "last_modified_by"
    ),
    "{http://purl.org/dc/terms/}created": "created",
    "{http://purl.org/dc/terms/}modified": "modified",
}
_TEXT_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Caps:
    """What one document may cost; each refusal names the cap it hit."""

    max_chars: int = MAX_TEXT_CHARS  # the document.submitted contract's own limit
    max_members: int = 5_000  # ZIP entries
    max_part_bytes: int = 128 * 1024 * 1024  # one XML part, inflated
    max_total_bytes: int = 256 * 1024 * 1024  # all parts read, inflated
    max_ratio: int = 200  # inflated / compressed, for parts over 1 MB inflated
    max_depth: int = 256  # XML element nesting
    max_pdf_pages: int = 5_000
    max_pdf_page_bytes: int = 16 * 1024 * 1024  # one page's content stream, inflated
    max_seconds: float = 120.0  # PDF text extraction, checked between pages


class _Refused(WitnessError, ValueError):
    pass


register(
    {
        "docx.members_cap": (
            "ZIP 中有 {n} 个条目，超过 {cap} 个的上限",
            "{n} ZIP entries, over the {cap}-entry cap",
        ),
        "docx.part_cap": (
            "{part} 解压后 {size} 字节，超过 {cap} 字节的单个部件上限",
            "{part} inflates to {size} bytes, over the {cap}-byte part cap",
        ),
        "docx.ratio_cap": (
            "{part} 的压缩比为 {ratio}:1，超过 {cap}:1 的上限（可能是 ZIP 炸弹）",
            "{part} is compressed {ratio}:1, over the {cap}:1 ratio cap (a zip bomb?)",
        ),
        "docx.total_cap": (
            "文字部件解压后共 {size} 字节，超过 {cap} 字节的上限",
            "its text parts inflate to {size} bytes, over the {cap}-byte cap",
        ),
        "docx.chars_cap": (
            "超过 {cap} 字符的文字上限（在 {part} 中）",
            "over the {cap}-character text cap (reached in {part})",
        ),
        "docx.depth_cap": (
            "{part} 的元素嵌套超过 {cap} 层（嵌套上限）",
            "{part} nests elements over {cap} deep (the depth cap)",
        ),
        "docx.dtd": (
            "{part} 声明了 DTD，Word 从不写入 DTD（已拒绝）",
            "{part} declares a DTD, which Word never writes (refused)",
        ),
        "docx.bad_xml": (
            "{part} 不是格式正确的 XML（{reason}）",
            "{part} is not well-formed XML ({reason})",
        ),
        "docx.unreadable": ("DOCX 无法读取：{reason}", "unreadable DOCX: {reason}"),
    }
)


def _check_directory(z: zipfile.ZipFile, caps: Caps) -> list[zipfile.ZipInfo]:
    infos = z.infolist()
    if len(infos) > caps.max_members:
        raise _Refused(t("docx.members_cap", n=len(infos), cap=caps.max_members))
    parts = [i for i in infos if _TEXT_PARTS.fullmatch(i.filename)]
    parts.sort(key=lambda i: (i.filename != "word/document.xml", i.filename))
    small = [i for i in infos if i.filename in ("docProps/core.xml", "docProps/app.xml")]
    small += [i for i in infos if i.filename == "word/settings.xml"]
    total = 0
    for info in parts + small:
        size = info.file_size
        if size > caps.max_part_bytes:
            raise _Refused(
                t("docx.part_cap", part=info.filename, size=size, cap=caps.max_part_bytes)
            )
        if size > 1024 * 1024 and size > caps.max_ratio * max(info.compress_size, 1):
            ratio = size // max(info.compress_size, 1)
            raise _Refused(t("docx.ratio_cap", part=info.filename, ratio=ratio, cap=caps.max_ratio))
        total += size
    if total > caps.max_total_bytes:
        raise _Refused(t("docx.total_cap", size=total, cap=caps.max_total_bytes))
    return parts


class _WordText:
    """expat target: collects the visible text of one WordprocessingML part."""

    def __init__(self, caps: Caps, used: int, part: str) -> None:
        self.caps, self.used, self.part = caps, used, part
        self.out: list[str] = []
        self.depth = 0
        self.in_text = 0  # inside w:t
        self.skip = 0  # inside mc:Fallback, w:delText, w:instrText
        self.cells: list[int] = []  # len(out) at the start of each open table cell

    def _emit(self, text: str) -> None:
        self.used += len(text)
        if self.used > self.caps.max_chars:
            raise _Refused(t("docx.chars_cap", cap=self.caps.max_chars, part=self.part))
        self.out.append(text)

    def _trim(self, sep: str) -> None:
        while self.out and self.out[-1] == sep:
            self.out.pop()
            self.used -= len(sep)

    def start(self, tag: str, attrib: dict) -> None:
        self.depth += 1
        if self.depth > self.caps.max_depth:
            raise _Refused(t("docx.depth_cap", part=self.part, cap=self.caps.max_depth))
        if self.skip or tag in (f"{MC}Fallback", f"{W}delText", f"{W}instrText"):
            self.skip += 1
            return
        if tag == f"{W}t":
            self.in_text += 1
        elif tag == f"{W}tab":
            self._emit("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            self._emit("\n")
        elif tag == f"{W}tc":
            self.cells.append(len(self.out))

    def end(self, tag: str) -> None:
        self.depth -= 1
        if self.skip:
            self.skip -= 1
            return
        if tag == f"{W}t":
            self.in_text -= 1
        elif tag == f"{W}p":
            self._emit("\n")
        elif tag == f"{W}tc":
            self._trim("\n")
            self._emit("\t")
            if self.cells:
                self.cells.pop()
        elif tag == f"{W}tr":
            self._trim("\t")
            self._emit("\n")

    def data(self, text: str) -> None:
        if self.in_text and not self.skip:
            self._emit(text)

    def close(self) -> str:
        return "".join(self.out)


def _parse_part(z: zipfile.ZipFile, name: str, caps: Caps, used: int) -> str:
    target = _WordText(caps, used, name)
    parser = ElementTree.XMLParser(target=target)
    head = b""
    with z.open(name) as fh:
        while chunk := fh.read(_CHUNK):
            if len(head) < 4096:
                head += chunk[:4096]
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise _Refused(t("docx.dtd", part=name))
            try:
                parser.feed(chunk)
            except ElementTree.ParseError as exc:
                raise _Refused(t("docx.bad_xml", part=name, reason=exc)) from None
    try:
        parser.close()
    except ElementTree.ParseError as exc:
        raise _Refused(t("docx.bad_xml", part=name, reason=exc)) from None
    return target.close()


def _small_xml(z: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    if name not in z.NameToInfo:
        return None
    data = z.read(name)
    if b"<!DOCTYPE" in data[:4096]:
        return None
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None


def _w3cdtf(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        return text


def _metadata(z: zipfile.ZipFile) -> dict[str, str | None]:
    meta: dict[str, str | None] = dict.fromkeys(
        (
            "author",
            "last_modified_by",
            "creator",
            "producer",
            "created",
            "modified",
            "rsid_root",
            "xmp_document_id",
        )
    )
    core = _small_xml(z, "docProps/core.xml")
    for el in core if core is not None else []:
        key = _CORE.get(el.tag)
        if key in ("created", "modified"):
            meta[key] = _w3cdtf(el.text)
        elif key:
            meta[key] = (el.text or "").strip() or None
    app = _small_xml(z, "docProps/app.xml")
    for el in app if app is not None else []:
        if el.tag.endswith("}Application"):
            meta["creator"] = (el.text or "").strip() or None
    settings = _small_xml(z, "word/settings.xml")
    if settings is not None:
        el = settings.find(f"{W}rsids/{W}rsidRoot")
        value = el.get(f"{W}val") if el is not None else None
        if value and re.fullmatch(r"[0-9A-Fa-f]{8}", value):
            meta["rsid_root"] = value.upper()
    return meta


def docx_extract(data: bytes, caps: Caps) -> tuple[str, dict[str, str | None]]:
    """Text and core metadata of a DOCX, or ValueError naming the cap it broke."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            parts = _check_directory(z, caps)
            texts: list[str] = []
            used = 0
            for info in parts:
                text = _parse_part(z, info.filename, caps, used)
                used += len(text)
                if text.strip():
                    texts.append(text)
            return "\n".join(texts).rstrip("\n"), _metadata(z)
    except _Refused as exc:
        raise ValueError(str(exc)) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise ValueError(t("docx.unreadable", reason=exc)) from None
