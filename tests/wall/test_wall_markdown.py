"""What bidders write is shown as text on the wall, never as Markdown.

A bidder controls its company name and its documents' author and title fields (DOC-META
shows them). Put into Streamlit Markdown as they were, `![x](https://…)` made the
officer's browser fetch an outside image when the card opened, `[通知](https://…)` was a
link on the witness wall and `$x$` a formula. What the wall wrote is parsed back with a
CommonMark parser (markdown-it-py): only text may come out, and exactly the value.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from dashboards import formatting
from dashboards.formatting import markdown_table, md_text
from witness.rules import CATALOGUE

MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
TEXT = {"text", "text_special"}
#: Markdown a hostile name may carry; each of them turns into something else unescaped.
PAYLOADS = [
    "![x](https://evil.example/p.png)",
    "[通知](https://evil.example/phish)",
    "<https://evil.example>",
    "https://evil.example/x",
    "$\\frac{1}{2}$",
    ":red[假]",
    "**粗** _斜_ `码` ~~删~~",
    "&lt;b&gt;",
    "a | b",
    "# 标题",
    "> 引用",
    "1. 列表",
]


def _inline(source: str) -> list:
    return [t for block in MD.parse(source) if block.type == "inline" for t in block.children]


def _plain(tokens: list) -> str:
    """The text, without the invisible word joiners that keep URLs from being linked."""
    return "".join(t.content for t in tokens).replace("\u2060", "")


def _shown(value: str) -> str:
    """A value as the wall shows it: control characters (line breaks among them) as spaces."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", value)


@given(st.one_of(st.sampled_from(PAYLOADS), st.text()))
@settings(max_examples=400)
def test_any_value_reads_back_as_itself_and_nothing_else(value):
    tokens = _inline(f"名称：{md_text(value)}。")
    assert {t.type for t in tokens} <= TEXT, [t.type for t in tokens]
    assert _plain(tokens) == f"名称：{_shown(value)}。"


@given(st.lists(st.one_of(st.sampled_from(PAYLOADS), st.text(min_size=1)), min_size=1, max_size=3))
def test_a_table_cell_keeps_its_value_and_the_table_its_shape(values):
    rows = [{"列": v} for v in values]
    tokens = MD.parse(markdown_table(rows))
    cells = [t for t in tokens if t.type == "inline"]
    assert [t.type for t in tokens].count("tr_open") == 1 + len(values)
    for cell, v in zip(cells[1:], values, strict=True):
        assert {c.type for c in cell.children} <= TEXT
        assert _plain(cell.children) == _shown(v).strip()


@pytest.mark.parametrize("rule_id", sorted(CATALOGUE))
def test_an_alert_card_shows_hostile_names_as_text(rule_id, monkeypatch):
    """The card as show_evidence writes it, every rule, a hostile value in every field a
    detector fills with a name, an author or a document id."""
    written: list[str] = []
    monkeypatch.setattr(formatting.st, "markdown", lambda body, **_: written.append(body))
    monkeypatch.setattr(formatting.st, "caption", lambda body, **_: written.append(body))
    monkeypatch.setattr(formatting.st, "html", lambda body, **_: None)
    monkeypatch.setattr(formatting.st, "json", lambda *a, **_: None)
    monkeypatch.setattr(formatting.st, "popover", lambda *a, **_: _Nothing())
    for payload in PAYLOADS:
        written.clear()
        party = {"name": payload, "author": payload, "bidder_id": payload, "doc_id": payload}
        evidence = {
            "attribute": "author",
            "value": payload,
            "bidders": [payload, "B"],
            "documents": [{"bidder_id": payload, "doc_id": payload, "author": payload}],
            "names": {payload: payload},
            "findings": [
                {"bidder_a": payload, "bidder_b": "B", "doc_a": payload, "similarity": 0.9}
            ],
            "shared": [payload],
            "bids": [{"bidder_id": payload, "price": 1}],
            "party": party,
        }
        view = SimpleNamespace(
            rule=rule_id, evidence=evidence, subjects=[payload], sealed=False, title=payload
        )
        formatting.show_evidence(view)
        assert written
        for body in written:
            kinds = {t.type for t in _inline(body)}
            assert not kinds & {"link_open", "image", "html_inline", "code_inline", "em_open"}, body
            assert "evil.example" not in _rendered_urls(body)


def _rendered_urls(body: str) -> str:
    html = MD.render(body)
    return " ".join(part for part in html.split('"') if part.startswith("http"))


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_an_alert_label_is_text_too():
    view = SimpleNamespace(
        severity="red",
        project_id="[P](https://evil.example)",
        title="![x](https://evil.example/p.png)",
        sealed=False,
        status="open",
    )
    tokens = _inline(formatting.alert_label(view))
    assert {t.type for t in tokens} <= TEXT
    assert "![x](https://evil.example/p.png)" in _plain(tokens)


def test_a_thumbnail_that_is_not_base64_is_not_put_into_the_page(monkeypatch):
    """The picture's base64 went into an <img src="…"> attribute as it came: a quote in it
    ended the attribute and the rest was HTML of the sender's choosing."""
    pages: list[str] = []
    monkeypatch.setattr(formatting.st, "markdown", lambda body, **_: None)
    monkeypatch.setattr(formatting.st, "caption", lambda body, **_: None)
    monkeypatch.setattr(formatting.st, "html", lambda body, **_: pages.append(body))
    monkeypatch.setattr(formatting.st, "json", lambda *a, **_: None)
    monkeypatch.setattr(formatting.st, "popover", lambda *a, **_: _Nothing())

    def card(picture: str) -> list[str]:
        pages.clear()
        thumb = {"jpeg_base64": picture, "camera_id": "C1", "ts": "2026-11-21T09:00:00+08:00"}
        view = SimpleNamespace(
            rule="VID-TAMPER", evidence={"thumbnail": thumb}, subjects=[], sealed=False, title=""
        )
        formatting.show_evidence(view)
        return pages

    assert len(card("/9j/4AAQSkZJRg==")) == 1  # a JPEG's base64 is shown
    assert card('x" onerror="alert(1)') == []
    assert card('x"><img src="https://evil.example/p.png') == []
