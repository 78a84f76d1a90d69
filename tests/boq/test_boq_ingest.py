"""`witness ingest-boq`: pricing-software exports (XLSX, CSV) into `boq.submitted` events."""

from __future__ import annotations

import json
import random

import openpyxl
import pytest

from detectors.boq import BoqDetector
from detectors.offline import run_detectors
from tests.boq.conftest import by_rule, opening
from witness.cli import main
from witness.events import parse_event
from witness.simulator import bill_pricing as sb

P = "JY-2026-0181"


def export_xlsx(path, lines, *, lock: str | None = "A1B2C3D4E5", numeric_codes: bool = True):
    """A workbook laid out as pricing software exports it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "分部分项工程和单价措施项目清单与计价表"
    ws.append(["分部分项工程和单价措施项目清单与计价表"])
    ws.append(["工程名称：某中学教学楼工程", None, None, "标段：一标段", None, "第 1 页 共 3 页"])
    ws.append(["序号", "项目编码", "项目名称", "项目特征描述", "计量单位", "工程量", "金额（元）"])
    ws.append([None, None, None, None, None, None, "综合单价", "合价", "其中：暂估价"])
    ws.merge_cells("G3:I3")
    ws.append([None, None, "A.1 土石方工程"])  # a section row: no code
    priced = [ln for ln in lines if not ln.get("fixed")]
    for n, ln in enumerate(priced, 1):
        code = int(ln["code"]) if numeric_codes and ln["code"].isdigit() else ln["code"]
        ws.append(
            [
                n,
                code,
                ln["name"],
                "详见图纸",
                ln["unit"],
                ln["quantity"],
                ln["unit_price"],
                ln["total"],
                None,
            ]
        )
    ws.append([None, None, "本页小计", None, None, None, None, sum(ln["total"] for ln in priced)])
    ws.append([None, None, "合计"])
    other = wb.create_sheet("其他项目清单与计价汇总表")
    other.append(["项目编码", "项目名称", "计量单位", "工程量", "综合单价", "合价"])
    for ln in lines:
        if ln.get("fixed"):
            other.append([ln["code"], ln["name"], "项", 1, ln["unit_price"], ln["total"]])
    cover = wb.create_sheet("封面", 0)
    cover.append(["投标总价"])
    cover.append(["计价软件：广联达云计价平台GCCP6.0"])
    if lock:
        cover.append(["加密锁号", None, lock])
    wb.save(path)


@pytest.fixture(scope="module")
def works():
    return sb.make_works(random.Random(3), 60)


def _ingest(tmp_path, file, bidder, *extra) -> tuple[int, list]:
    out = tmp_path / "events.jsonl"
    code = main(
        [
            "ingest-boq",
            str(file),
            "--project",
            P,
            "--bidder",
            bidder,
            "--out",
            str(out),
            "--ts",
            "2026-09-01T09:00:00+08:00",
            *extra,
        ]
    )
    events = (
        [parse_event(line) for line in out.read_text("utf-8").splitlines()] if out.exists() else []
    )
    return code, events


def test_a_realistic_export_becomes_one_valid_event(tmp_path, works, capsys) -> None:
    lines = sb.bill(works, sb.Pricing(labour=1.1), with_components=False)
    path = tmp_path / "投标报价.xlsx"
    export_xlsx(path, lines)
    code, events = _ingest(tmp_path, path, "B1")
    assert code == 0 and len(events) == 1
    p = events[0].payload
    assert p.bidder_id == "B1" and p.software.lock_id == "A1B2C3D4E5"
    assert p.software.name == "广联达云计价平台GCCP6.0"
    assert [i.code for i in p.items] == [
        ln["code"] for ln in lines
    ]  # zeros restored, sheets joined
    assert [i.unit_price for i in p.items] == [ln["unit_price"] for ln in lines]
    assert [i.total for i in p.items] == [ln["total"] for ln in lines]
    assert {i.code for i in p.items if i.fixed} == {c for c, _, _ in sb.FIXED_ITEMS}
    err = capsys.readouterr().err
    assert f"{len(lines)}" in err and "A1B2C3D4E5" in err


def test_bad_cells_are_named_by_sheet_row_and_column(tmp_path, works, capsys) -> None:
    lines = sb.bill(works, sb.Pricing(), with_components=False)
    path = tmp_path / "bad.xlsx"
    export_xlsx(path, lines)
    wb = openpyxl.load_workbook(path)
    ws = wb["分部分项工程和单价措施项目清单与计价表"]
    ws["G7"] = "12,3a"
    ws["F9"] = -4
    wb.save(path)
    code, events = _ingest(tmp_path, path, "B1")
    err = capsys.readouterr().err
    assert code == 2 and events == []  # no partial bill
    assert "分部分项工程和单价措施项目清单与计价表" in err
    assert "第 7 行 G 列（综合单价）" in err and "'12,3a'" in err
    assert "第 9 行 F 列（工程量）" in err and "负数" in err


def test_amounts_written_as_text_read_as_written_or_are_named(tmp_path, works, capsys) -> None:
    """A bill exported with text cells ("1,234.50", full-width, a decimal comma) reads
    as the amounts they write; an ambiguous one ("1,2345") stops the bill, named with
    its reason, where stripping the comma once read it as 12345."""
    head = "项目编码,项目名称,计量单位,工程量,综合单价,合价\n"
    path = tmp_path / "text.csv"
    path.write_text(
        head
        + '010101001001,平整场地,m2,"1,234.5",12,"14,814.00"\n'
        + '010101002001,挖一般土方,m3,１２．５,"8,5",¥106.25\n',
        "utf-8",
    )
    code, events = _ingest(tmp_path, path, "B1")
    assert code == 0
    first, second = events[0].payload.items
    assert (first.quantity, first.total) == (1234.5, 14814.0)
    assert (second.quantity, second.unit_price, second.total) == (12.5, 8.5, 106.25)
    (tmp_path / "second").mkdir()
    bad = tmp_path / "second" / "bad.csv"
    bad.write_text(head + '010101001001,平整场地,m2,"1,2345",12,10\n', "utf-8")
    code, events = _ingest(bad.parent, bad, "B1")
    err = capsys.readouterr().err
    assert code == 2 and events == []
    assert "第 2 行 D 列（工程量）：'1,2345' 不是数字（逗号后有四位以上数字" in err


def test_messages_follow_the_locale(tmp_path, works, capsys, monkeypatch) -> None:
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    path = tmp_path / "bad.csv"
    path.write_text(
        "项目编码,项目名称,计量单位,工程量,综合单价,合价\n010101001001,平整场地,m2,abc,5,10\n",
        "utf-8",
    )
    code, _ = _ingest(tmp_path, path, "B1")
    err = capsys.readouterr().err
    assert code == 2 and "row 2, column D (工程量): 'abc' is not a number" in err


def test_gbk_csv_with_a_column_layout(tmp_path, works) -> None:
    lines = sb.bill(works, sb.Pricing(scale=0.9), with_components=True)
    rows = [
        f"{ln['code']},{ln['name']},{ln['unit']},{ln['quantity']},{ln['unit_price']},"
        f"{ln['total']},{ln['components']['labour']}"
        for ln in lines
        if "components" in ln
    ]
    path = tmp_path / "bill.csv"
    path.write_bytes(("导出：某软件\n" + "\n".join(rows) + "\n").encode("gbk"))
    code, events = _ingest(
        tmp_path,
        path,
        "B2",
        "--columns",
        "code=A,name=B,unit=C,quantity=D,unit_price=E,total=F,labour=G",
        "--lock-id",
        "LOCK-9",
    )
    assert code == 0
    p = events[0].payload
    assert p.items[0].name == lines[0]["name"] and p.software.lock_id == "LOCK-9"
    assert p.items[0].components.labour == lines[0]["components"]["labour"]


def test_header_texts_in_columns_and_auto_detection_agree(tmp_path, works) -> None:
    lines = sb.bill(works, sb.Pricing(), with_components=False)
    path = tmp_path / "bill.csv"
    body = "\n".join(
        f"{ln['code']},{ln['name']},{ln['unit']},{ln['quantity']},{ln['unit_price']}"
        for ln in lines
    )
    path.write_text("清单编码,名称,单位,数量,单价（元）\n" + body + "\n", "utf-8")
    _, auto = _ingest(tmp_path, path, "B3")
    (tmp_path / "events.jsonl").unlink()
    _, named = _ingest(tmp_path, path, "B3", "--columns", "code=清单编码,unit_price=单价（元）")
    assert [i.unit_price for i in auto[0].payload.items] == [ln["unit_price"] for ln in lines]
    assert [i.code for i in named[0].payload.items] == [i.code for i in auto[0].payload.items]


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xlsx"),
        ("标题\n随便一些文字\n".encode(), "--columns"),
        (b"PK\x03\x04broken zip", "cannot read"),
    ],
)
def test_files_that_are_no_bill_get_a_reason(
    tmp_path, content, expect, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    path = tmp_path / "file.xlsx"
    path.write_bytes(content)
    code, events = _ingest(tmp_path, path, "B1")
    assert code == 2 and events == [] and expect in capsys.readouterr().err


def test_bad_column_spec_is_explained(tmp_path, works, capsys, monkeypatch) -> None:
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    path = tmp_path / "b.csv"
    path.write_text("a,b\n", "utf-8")
    assert _ingest(tmp_path, path, "B1", "--columns", "price=E")[0] == 2
    assert "fields are code" in capsys.readouterr().err


def test_help_teaches_the_headers(capsys, monkeypatch) -> None:
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    with pytest.raises(SystemExit):
        main(["ingest-boq", "--help"])
    out = capsys.readouterr().out
    assert "项目编码" in out and "--columns" in out and "opening.started" in out
    assert "headers found by themselves" in out and "column layout instead of header" in out
    monkeypatch.setenv("WITNESS_LOCALE", "zh-CN")
    with pytest.raises(SystemExit):
        main(["ingest-boq", "--help"])
    out = capsys.readouterr().out
    assert "项目编码" in out and "--columns" in out and "opening.started" in out
    assert "自动识别的表头" in out and "不自动识别表头" in out and "加密锁号" in out


def test_ingested_copies_are_found_end_to_end(tmp_path, works) -> None:
    master = sb.bill(works, sb.Pricing(labour=1.2, management=0.3), with_components=False)
    copy = sb.copied(random.Random(1), master, 0.05)
    other = sb.bill(works, sb.Pricing(labour=0.95, machine=1.1), with_components=False)
    for owner, lines in (
        ("tender", sb.control_bill(works, with_components=False)),
        ("B1", master),
        ("B2", copy),
        ("B3", other),
    ):
        path = tmp_path / f"{owner}.xlsx"
        export_xlsx(path, lines, lock=f"LOCK-{owner}")
        assert _ingest(tmp_path, path, owner)[0] == 0
    events = [parse_event(x) for x in (tmp_path / "events.jsonl").read_text("utf-8").splitlines()]
    alerts = run_detectors(
        [*[e.model_copy(update={"project_id": "JY-2026-0180"}) for e in events], opening()],
        [BoqDetector()],
    )
    assert [a.subjects for a in by_rule(alerts, "BOQ-SAME")] == [["B1", "B2"]]
    assert json.loads(alerts[0].to_json())["evidence"]["tender_doc_id"].endswith(
        events[0].payload.sha256[:12]
    )
