"""The version of the engine's state shape, so a snapshot is loaded only into the code
that wrote it.

A snapshot (streams) or a released project (detectors/released.py) is pickled engine
state. Loaded by code whose state classes changed, it would be garbage that looks fine.
The version is a hash over what the state's meaning depends on:
- `FORMAT` (bumped by hand when the engine's own layout changes),
- every detector's name, class and `state_version` (a detector bumps it when the meaning
  of a plain dict state changes, which no class shape shows),
- the fields of every dataclass and pydantic model defined in the `detectors` package and
  the contract (`witness.events`, `witness.alerts`), with their annotations,
- the versions of the libraries whose objects live in state (numpy, datasketch, ...),
- the thresholds and the locale (state and alerts computed under other ones would not be
  what replay gives now).
Any difference means: rebuild from the log instead of loading.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from collections.abc import Sequence
from hashlib import sha256
from importlib.metadata import PackageNotFoundError, version

from pydantic import BaseModel

from detectors.base import Context
from witness.events import canonical_json

FORMAT = 1
#: Libraries whose objects are pickled inside detector state.
STATE_LIBRARIES = ("numpy", "datasketch", "rapidfuzz", "networkx", "pydantic")
#: Modules whose classes make up the state (the batch screen keeps none).
_SKIP = ("detectors.screening",)


def _modules() -> list[str]:
    import detectors

    names = ["witness.events", "witness.alerts"]
    for info in pkgutil.walk_packages(detectors.__path__, "detectors."):
        if not info.name.startswith(_SKIP):
            names.append(info.name)
    return sorted(names)


def class_shapes() -> list[list]:
    """[module.Class, [[field, annotation], ...]] for every state-bearing class."""
    shapes = []
    for name in _modules():
        module = importlib.import_module(name)
        for cls_name, cls in sorted(inspect.getmembers(module, inspect.isclass)):
            if cls.__module__ != name:
                continue
            if dataclasses.is_dataclass(cls):
                fields = [[f.name, str(f.type)] for f in dataclasses.fields(cls)]
            elif issubclass(cls, BaseModel):
                fields = [[k, repr(v.annotation)] for k, v in cls.model_fields.items()]
            else:
                continue
            shapes.append([f"{name}.{cls_name}", fields])
    return shapes


def _library_versions() -> list[list[str]]:
    out = []
    for lib in STATE_LIBRARIES:
        try:
            out.append([lib, version(lib)])
        except PackageNotFoundError:
            out.append([lib, "-"])
    return out


def state_version(detectors: Sequence, ctx: Context) -> str:
    """A short hash naming the state shape of `detectors` under `ctx`."""
    basis = {
        "format": FORMAT,
        "detectors": [
            [d.name, f"{type(d).__module__}.{type(d).__qualname__}", getattr(d, "state_version", 1)]
            for d in detectors
        ],
        "classes": class_shapes(),
        "libraries": _library_versions(),
        "thresholds": ctx.thresholds.fingerprint(),
        "locale": ctx.locale,
    }
    return sha256(canonical_json(basis).encode("utf-8")).hexdigest()[:24]
