"""The house of DESIGN §2 stays drawn: every import points down a floor, never up.

floor 1  witness/ (contract, config, i18n, jsonl, store, archive, simulator)
floor 2  detectors/ (pure rule logic)
floor 3  streams/ (Kafka)  |  dashboards/ (the wall)   -- side by side, no arrows between
floor 4  witness/cli.py and witness/commands/ (the front door, may reach any floor)

Lazy imports inside functions count too: an upward arrow is one whether it runs at
import time or later. Third-party rules ride along: detectors import no Kafka, SQL or
Streamlit; the wall imports no Kafka; the ground floor imports neither Kafka nor Streamlit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("witness", "detectors", "streams", "dashboards")
FRONT_DOOR = ("witness.cli", "witness.commands")

#: floor -> the first-party floors it may import (its own included).
MAY_IMPORT = {
    "contract": {"contract"},
    "detectors": {"contract", "detectors"},
    "streams": {"contract", "detectors", "streams"},
    "dashboards": {"contract", "detectors", "dashboards"},
    "front_door": {"contract", "detectors", "streams", "dashboards", "front_door"},
}
FORBIDDEN_THIRD_PARTY = {
    "contract": {"kafka", "streamlit"},
    "detectors": {"kafka", "sqlalchemy", "sqlmodel", "psycopg2", "alembic", "streamlit", "cv2"},
    "dashboards": {"kafka"},
}


def floor_of(module: str) -> str | None:
    if module == "witness" or module.startswith("witness."):
        if module in FRONT_DOOR or module.startswith(tuple(f + "." for f in FRONT_DOOR)):
            return "front_door"
        return "contract"
    top = module.split(".")[0]
    return top if top in ("detectors", "streams", "dashboards") else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # `from witness import accounts` imports witness.accounts
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def all_modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def violations() -> list[str]:
    out = []
    for path in all_modules():
        here = module_name(path)
        floor = floor_of(here)
        for line, target in imports_of(path):
            target_floor = floor_of(target)
            where = f"{path.relative_to(ROOT)}:{line}"
            if target_floor is not None:
                if not _exists(target):
                    continue  # `from pkg import name` where name is not a module
                if target_floor not in MAY_IMPORT[floor]:
                    out.append(f"{where} {here} ({floor}) imports {target} ({target_floor})")
            elif target.split(".")[0] in FORBIDDEN_THIRD_PARTY.get(floor, ()):
                out.append(f"{where} {here} ({floor}) imports {target}")
    return out


def _exists(module: str) -> bool:
    base = ROOT.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def test_no_import_runs_up_a_floor():
    assert violations() == []


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("witness/events.py", "detectors.engine"),
        ("detectors/prices.py", "streams.bus"),
        ("dashboards/app.py", "streams.tail"),
        ("streams/worker.py", "dashboards.queries"),
        ("detectors/base.py", "kafka"),
    ],
)
def test_the_check_catches_an_upward_import(source, target, tmp_path, monkeypatch):
    """Plant an upward import in a copy of the tree's file list and see it reported."""
    planted = ROOT / source
    original = planted.read_text("utf-8")
    fake = tmp_path / "planted.py"
    fake.write_text(original + f"\n\ndef _planted():\n    import {target}\n", "utf-8")
    real_read = Path.read_text

    def read_text(self, *args, **kwargs):
        return real_read(fake if self == planted else self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    assert any(target in v and source in v for v in violations())


def test_no_two_modules_share_a_basename_across_floors():
    """`which replay.py is the logic?` must have a one-guess answer. Parallel folders of
    one role (one module per command, per wall page) may reuse a name across them."""
    parallel_roles = {"witness/commands", "dashboards/views"}
    seen: dict[str, list[str]] = {}
    for path in all_modules():
        rel = path.relative_to(ROOT)
        if path.name == "__init__.py" or str(rel.parent) in parallel_roles:
            continue
        seen.setdefault(path.name, []).append(str(rel))
    clashes = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert clashes == {}


def test_no_module_is_over_600_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in all_modules()
        if (n := len(p.read_text("utf-8").splitlines())) > 600 and "migrations" not in p.parts
    }
    assert long == {}


def test_bench_never_imports_tests():
    bad = [
        f"{p.name}:{line} {t}"
        for p in sorted((ROOT / "bench").glob("*.py"))
        for line, t in imports_of(p)
        if t.split(".")[0] in ("tests", "conftest") or t.startswith("helpers_")
    ]
    assert bad == []


def floor_edges() -> dict[tuple[str, str], int]:
    """Imports between floors as grimp (a well-kept import-graph library) sees them."""
    import grimp

    graph = grimp.build_graph(*PACKAGES)
    edges: dict[tuple[str, str], int] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = floor_of(module), floor_of(imported)
            if a and b and a != b:
                edges[(a, b)] = edges.get((a, b), 0) + 1
    return edges


def test_grimp_sees_no_arrow_back_up():
    upward = {e: n for e, n in floor_edges().items() if e[1] not in MAY_IMPORT[e[0]]}
    assert upward == {}


def drawing() -> str:
    """The house as a Mermaid graph, arrows = imports between floors (README)."""
    lines = ["```mermaid", "graph TD"]
    for (a, b), n in sorted(floor_edges().items()):
        lines.append(f"  {a} -->|{n}| {b}")
    lines.append("```")
    return "\n".join(lines)


if __name__ == "__main__":  # python tests/contract/test_house.py  -> the drawing for the README
    print(drawing())
