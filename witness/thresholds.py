"""Typed rule thresholds: one frozen pydantic model per TOML section.

Each detector declares the model of its own section beside its code::

    @thresholds_section("PROC-FEW")
    class FewBiddersThresholds(RuleThresholds):
        min_bidders: int = Field(3, ge=1, description="fewer bidders than this at opening")

The model holds the defaults and the bounds; `witness/thresholds.toml` is the commented
copy a centre edits (a test keeps the two equal). `Thresholds` (witness/config.py) holds a
user's overrides and validates them against these models, so an unknown key, a wrong type
or an out-of-range value is refused at start with the file and line, not discovered when
the rule first runs.

The registry lives here, on the ground floor, and the detectors above register into it:
the arrow points down.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from witness.errors import ConfigError


class RuleThresholds(BaseModel):
    """Base of one rule section's thresholds: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    #: The TOML section name, e.g. "DOC-40-4"; set by `thresholds_section`.
    section: ClassVar[str] = ""


T = TypeVar("T", bound=type[RuleThresholds])

#: section name -> model, filled as detector modules are imported.
SECTIONS: dict[str, type[RuleThresholds]] = {}


def thresholds_section(section: str):
    """Class decorator: register `cls` as the model of `[section]`."""

    def register(cls: T) -> T:
        known = SECTIONS.get(section)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ConfigError(
                f"thresholds section [{section}] declared twice: "
                f"{known.__module__}.{known.__qualname__} and {cls.__module__}.{cls.__qualname__}"
            )
        cls.section = section
        SECTIONS[section] = cls
        return cls

    return register


def model_for(section: str) -> type[RuleThresholds]:
    """The registered model of `[section]` (detectors must be imported first)."""
    try:
        return SECTIONS[section]
    except KeyError:
        known = ", ".join(sorted(SECTIONS)) or "none registered yet"
        raise ConfigError(f"unknown thresholds section [{section}] (known: {known})") from None
