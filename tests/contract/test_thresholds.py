"""Typed thresholds: the shipped TOML equals the models, and bad overrides are refused
at start with the file, the line and the key."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

import detectors
from witness.cli import main
from witness.config import Settings, Thresholds
from witness.errors import ConfigError, WitnessError
from witness.thresholds import SECTIONS

detectors.all_detectors()  # registers every rule family's model


def _shipped() -> dict:
    text = resources.files("witness").joinpath("thresholds.toml").read_text("utf-8")
    return tomllib.loads(text)


def test_shipped_toml_and_models_hold_the_same_sections_keys_and_values():
    shipped = _shipped()
    assert set(shipped) == set(SECTIONS), "a section is in one and not the other"
    for section, model in SECTIONS.items():
        defaults = model().model_dump()
        assert set(shipped[section]) == set(defaults), section
        for key, value in shipped[section].items():
            got = defaults[key]
            got = list(got) if isinstance(got, tuple) else got
            assert got == value, f"[{section}] {key}: toml {value!r} != model {got!r}"
            # 60 must stay 60, not 60.0: evidence recorded before keeps comparing equal
            assert type(got) is type(value), f"[{section}] {key}: {type(value)} vs {type(got)}"


def test_every_model_is_frozen_and_refuses_unknown_keys():
    for section, model in SECTIONS.items():
        inst = model()
        field = next(iter(model.model_fields))
        with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
            setattr(inst, field, getattr(inst, field))
        with pytest.raises(Exception):  # noqa: B017
            model.model_validate({"no_such_key": 1})
        assert model.section == section


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "th.toml"
    p.write_text(text, "utf-8")
    return p


def test_unknown_key_is_named_with_its_line(tmp_path):
    p = _write(tmp_path, '# mine\n["PROC-FEW"]\nmin_bidders = 4\nmin_bidder = 2\n')
    th = Thresholds.load(p)
    with pytest.raises(ConfigError) as err:
        th.validate()
    text = err.value.describe()
    assert f"{p} line 4" in text and "min_bidder" in text and "min_bidders" in text


def test_out_of_range_and_wrong_type_are_refused(tmp_path):
    p = _write(tmp_path, '["DOC-40-4"]\n\nsimilarity = 1.5\n')
    with pytest.raises(ConfigError, match=r"line 3"):
        Thresholds.load(p).validate()
    p = _write(tmp_path, '["VID-OFFLINE"]\nseconds = "sixty"\n')
    with pytest.raises(ConfigError, match=r"line 2.*seconds"):
        Thresholds.load(p).validate()


def test_unknown_section_and_non_table_are_refused(tmp_path):
    p = _write(tmp_path, '["PROC-FEWW"]\nmin_bidders = 4\n')
    with pytest.raises(ConfigError, match=r"line 1.*PROC-FEWW.*known"):
        Thresholds.load(p).validate()
    p = _write(tmp_path, "x = 3\n")
    with pytest.raises(ConfigError, match="must be a table"):
        Thresholds.load(p)


def test_override_reaches_the_detector_typed(tmp_path):
    from detectors.procedure import FewBiddersThresholds

    p = _write(tmp_path, '["PROC-FEW"]\nmin_bidders = 5\n')
    th = Thresholds.load(p)
    th.validate()
    assert th.typed(FewBiddersThresholds).min_bidders == 5
    assert th.get("PROC-FEW", "min_bidders") == 5
    assert Thresholds.defaults().typed(FewBiddersThresholds).min_bidders == 3


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_a_file_saved_by_notepad_is_read(tmp_path, encoding):
    """A BOM ("UTF-8 with BOM") failed as "Invalid statement (at line 1, column 1)", and
    GBK (older Notepad's "ANSI" on Chinese Windows) as a UnicodeDecodeError traceback."""
    from detectors.procedure import FewBiddersThresholds

    p = tmp_path / "thresholds.toml"
    p.write_bytes('# 开标时投标人少于 5 家即告警\n["PROC-FEW"]\nmin_bidders = 5\n'.encode(encoding))
    th = Thresholds.load(p)
    th.validate()
    assert th.typed(FewBiddersThresholds).min_bidders == 5


def test_cli_prints_one_line_and_exits_2_on_a_bad_config(tmp_path, monkeypatch, capsys):
    p = _write(tmp_path, '["PROC-FEW"]\nmin_bidders = 0\n')
    monkeypatch.setenv("WITNESS_CONFIG", str(p))
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    events = tmp_path / "e.jsonl"
    events.write_text("", "utf-8")
    assert main(["replay", str(events), "--out", str(tmp_path / "a.jsonl")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "line 2" in err[0]


def test_bad_environment_values_name_the_variable():
    with pytest.raises(WitnessError, match="WITNESS_PARTITIONS"):
        Settings.from_env({"WITNESS_PARTITIONS": "six"})
    with pytest.raises(WitnessError, match="WITNESS_LOCALE"):
        Settings.from_env({"WITNESS_LOCALE": "fr"})
