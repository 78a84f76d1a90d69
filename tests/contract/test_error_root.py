"""One error root: every exception class Witness defines descends from `WitnessError`.

The CLI turns a WitnessError into one line and exit 2 (`witness.cli.main`); an error
class outside the root reached users as a traceback. Six were found outside it
(ContractError, AccountError, ArchiveError, ColumnError, StateError, BrokerError).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("witness", "detectors", "streams", "dashboards")
BUILTIN_ROOTS = {"Exception", "BaseException", "ValueError", "RuntimeError", "OSError"}


def _classes() -> dict[str, tuple[str, list[str]]]:
    """name -> (file, base names) for every class in the packages."""
    found: dict[str, tuple[str, list[str]]] = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            tree = ast.parse(path.read_text("utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    bases = [ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases]
                    found[node.name] = (str(path.relative_to(ROOT)), bases)
    return found


def _is_exception(name: str, classes, seen=()) -> bool:
    if name in BUILTIN_ROOTS or (name.endswith("Error") and name not in classes):
        return True
    return (
        name in classes
        and name not in seen
        and any(_is_exception(b, classes, (*seen, name)) for b in classes[name][1])
    )


def _rooted(name: str, classes, seen=()) -> bool:
    if name == "WitnessError":
        return True
    return (
        name in classes
        and name not in seen
        and any(_rooted(b, classes, (*seen, name)) for b in classes[name][1])
    )


def test_every_witness_exception_descends_from_witness_error() -> None:
    classes = _classes()
    errors = {n for n in classes if _is_exception(n, classes)}
    assert len(errors) >= 8  # the scan sees them (ContractError, InputFileError, ...)
    outside = sorted(f"{classes[n][0]}: {n}" for n in errors if not _rooted(n, classes))
    assert not outside, outside
