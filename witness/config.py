"""Configuration: environment variables for wiring, a TOML file for rule thresholds.

Environment (DESIGN §7): WITNESS_KAFKA_BOOTSTRAP, WITNESS_DATABASE_URL, WITNESS_LOCALE,
WITNESS_CONFIG (path to a thresholds TOML that overrides witness/thresholds.toml).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

DEFAULT_SQLITE_URL = "sqlite:///var/witness.db"


class Thresholds:
    """Rule thresholds: defaults from the package, overridden by the user's TOML."""

    def __init__(self, values: dict[str, dict[str, Any]]) -> None:
        self._values = values

    @classmethod
    def defaults(cls) -> Thresholds:
        text = resources.files("witness").joinpath("thresholds.toml").read_text("utf-8")
        return cls(tomllib.loads(text))

    @classmethod
    def load(cls, path: str | Path | None = None) -> Thresholds:
        base = cls.defaults()._values
        if path:
            p = Path(path)
            if not p.is_file():
                raise FileNotFoundError(f"thresholds file {p} does not exist (WITNESS_CONFIG)")
            try:
                user = tomllib.loads(p.read_text("utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"thresholds file {p}: {exc}") from None
            for section, values in user.items():
                if section not in base:
                    raise ValueError(f"thresholds file {p}: unknown rule section [{section}]")
                if not isinstance(values, dict):
                    raise ValueError(f"thresholds file {p}: [{section}] must be a table")
                for key in values:
                    if key not in base[section]:
                        known = ", ".join(sorted(base[section]))
                        raise ValueError(
                            f"thresholds file {p}: unknown key {key!r} in [{section}] (known: {known})"
                        )
                base[section] = {**base[section], **values}
        return cls(base)

    def get(self, rule_id: str, key: str) -> Any:
        return self._values[rule_id][key]

    def section(self, rule_id: str) -> dict[str, Any]:
        return dict(self._values.get(rule_id, {}))

    def with_overrides(self, rule_id: str, **values: Any) -> Thresholds:
        """A copy with some values changed (tests and what-if replays)."""
        new = {k: dict(v) for k, v in self._values.items()}
        new.setdefault(rule_id, {}).update(values)
        return Thresholds(new)


@dataclass(frozen=True)
class Settings:
    kafka_bootstrap: str | None = None
    database_url: str = DEFAULT_SQLITE_URL
    locale: str = "zh-CN"
    config_path: str | None = None
    #: Consumer-group session timeout. Apache Kafka requires >= 6000 by default; the
    #: embedded broker takes about half of it to complete a group's first join.
    session_timeout_ms: int = 10_000
    partitions: int = 3
    #: Prefix for every topic name (tests share one broker with fresh topics).
    topic_prefix: str = ""
    thresholds: Thresholds = field(default_factory=Thresholds.defaults, compare=False)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        locale = env.get("WITNESS_LOCALE", "zh-CN") or "zh-CN"
        if locale not in ("zh-CN", "en"):
            raise ValueError(f"WITNESS_LOCALE={locale!r}: use zh-CN or en")
        config_path = env.get("WITNESS_CONFIG") or None
        return cls(
            kafka_bootstrap=env.get("WITNESS_KAFKA_BOOTSTRAP") or None,
            database_url=env.get("WITNESS_DATABASE_URL") or DEFAULT_SQLITE_URL,
            locale=locale,
            config_path=config_path,
            session_timeout_ms=int(env.get("WITNESS_KAFKA_SESSION_TIMEOUT_MS", "10000")),
            partitions=int(env.get("WITNESS_PARTITIONS", "3")),
            topic_prefix=env.get("WITNESS_TOPIC_PREFIX", ""),
            thresholds=Thresholds.load(config_path),
        )
