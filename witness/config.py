"""Configuration: environment variables for wiring, a TOML file for rule thresholds.

Environment (DESIGN §7): WITNESS_KAFKA_BOOTSTRAP, WITNESS_DATABASE_URL, WITNESS_LOCALE,
WITNESS_CONFIG (path to a thresholds TOML whose values override the defaults declared
beside each detector; witness/thresholds.toml is the commented copy to start from).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from witness import csv_text
from witness.errors import ConfigError
from witness.i18n import register, t
from witness.thresholds import SECTIONS, RuleThresholds, model_for

M = TypeVar("M", bound=RuleThresholds)

DEFAULT_SQLITE_URL = "sqlite:///var/witness.db"
#: `backend[+driver]://...`: the store runs on SQLite and PostgreSQL (psycopg2) only.
_DATABASE_URL = re.compile(r"^(?P<backend>[A-Za-z][A-Za-z0-9]*)(?:\+(?P<driver>\w+))?://")
_DATABASE_DRIVERS = {"sqlite": {None, "pysqlite"}, "postgresql": {None, "psycopg2"}}

register(
    {
        "config.database_url": (
            "不支持的数据库地址 {given}：请使用 sqlite:///路径/witness.db 或 "
            "postgresql://用户@主机:5432/库名",
            "unsupported database URL {given}: use sqlite:///path/witness.db or "
            "postgresql://user@host:5432/dbname",
        ),
    }
)


class Thresholds:
    """A user's threshold overrides, validated against the detectors' typed models.

    Defaults live in the models (`witness/thresholds.py`, declared beside each detector);
    this object holds only what the user's TOML (WITNESS_CONFIG) changes. `typed(Model)`
    gives the frozen, validated section a detector reads.
    """

    def __init__(
        self,
        overrides: dict[str, dict[str, Any]] | None = None,
        *,
        origin: str | None = None,
        text: str | None = None,
    ) -> None:
        self._overrides = {k: dict(v) for k, v in (overrides or {}).items()}
        self._origin = origin
        self._text = text
        self._cache: dict[type[RuleThresholds], RuleThresholds] = {}

    @classmethod
    def defaults(cls) -> Thresholds:
        return cls()

    @classmethod
    def load(cls, path: str | Path | None = None) -> Thresholds:
        """Read a user's TOML; shape errors now, value errors in `validate()`."""
        if not path:
            return cls()
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"thresholds file {p} does not exist", source="WITNESS_CONFIG")
        text = csv_text.decode(p.read_bytes())  # Notepad's BOM, or GBK, as for CSV files
        try:
            user = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(exc), source=str(p)) from None
        for section, values in user.items():
            if not isinstance(values, dict):
                raise ConfigError(
                    f"[{section}] must be a table",
                    source=f"{p} line {_line_of(text, section, None)}",
                )
        return cls(user, origin=str(p), text=text)

    def typed(self, model: type[M]) -> M:
        """The validated thresholds of `model`'s section (defaults + overrides)."""
        cached = self._cache.get(model)
        if cached is None:
            values = self._overrides.get(model.section, {})
            try:
                cached = model.model_validate(values)
            except ValidationError as exc:
                raise self._config_error(model.section, exc) from None
            self._cache[model] = cached
        return cached  # type: ignore[return-value]

    def validate(self) -> None:
        """Check every override against the registered models (detectors imported)."""
        for section in self._overrides:
            if section not in SECTIONS:
                known = ", ".join(sorted(SECTIONS))
                raise ConfigError(
                    f"unknown rule section [{section}] (known: {known})",
                    source=self._where(section, None),
                )
        for model in SECTIONS.values():
            self.typed(model)

    def fingerprint(self) -> str:
        """Every registered section's values (defaults and overrides) as one canonical
        text: equal exactly when every detector would judge the same way."""
        import json

        values = {
            name: self.typed(model).model_dump(mode="json") for name, model in SECTIONS.items()
        }
        return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def get(self, rule_id: str, key: str) -> Any:
        """One value by name, for evidence and tools that do not know the model."""
        return getattr(self.typed(model_for(rule_id)), key)

    def section(self, rule_id: str) -> dict[str, Any]:
        return self.typed(model_for(rule_id)).model_dump()

    def with_overrides(self, rule_id: str, **values: Any) -> Thresholds:
        """A copy with some values changed (tests and what-if replays)."""
        new = {k: dict(v) for k, v in self._overrides.items()}
        new.setdefault(rule_id, {}).update(values)
        return Thresholds(new, origin=self._origin, text=self._text)

    def _where(self, section: str, key: str | None) -> str:
        origin = self._origin or "thresholds"
        if self._text is None:
            return origin
        return f"{origin} line {_line_of(self._text, section, key)}"

    def _config_error(self, section: str, exc: ValidationError) -> ConfigError:
        first = exc.errors()[0]
        key = str(first["loc"][0]) if first.get("loc") else None
        what = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        known = ", ".join(sorted(model_for(section).model_fields))
        return ConfigError(
            f"[{section}] {key}: {what} (known keys: {known})",
            source=self._where(section, key),
        )


def _line_of(text: str, section: str, key: str | None) -> int:
    """1-based line of `key` in `[section]` (or of the header), 1 if not found."""
    header = re.compile(r'^\s*\[\s*"?' + re.escape(section) + r'"?\s*\]')
    in_section = False
    header_line = 1
    for number, line in enumerate(text.splitlines(), start=1):
        if header.match(line):
            in_section, header_line = True, number
            if key is None:
                return number
            continue
        if in_section and line.lstrip().startswith("["):
            break
        if in_section and key and re.match(r"^\s*\"?" + re.escape(key) + r"\"?\s*=", line):
            return number
    return header_line


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
    #: The recorder makes a project's witness record no sooner than this many seconds
    #: after its `project.archived`, once the detectors judged it and their alerts are
    #: stored; 0 = off.
    auto_record_seconds: int = 5
    #: ... and no later than this, whatever the detectors say (a worker may be down).
    auto_record_wait_seconds: int = 300
    #: Detector state snapshots: every this many folded events or seconds, per partition.
    snapshot_every_events: int = 10_000
    snapshot_every_seconds: float = 30.0
    #: Wall-clock ticks for quiet rooms under way (VID-OFFLINE); 0 turns them off.
    tick_seconds: float = 10.0
    #: Frames read again when a rooms partition starts without a recent snapshot
    #: (0: derived from the video rules, see detectors.video.video_window_seconds).
    frame_window_seconds: float = 0.0
    thresholds: Thresholds = field(default_factory=Thresholds.defaults, compare=False)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        locale = env.get("WITNESS_LOCALE", "zh-CN") or "zh-CN"
        if locale not in ("zh-CN", "en"):
            raise ConfigError(f"{locale!r}: use zh-CN or en", source="WITNESS_LOCALE")
        config_path = env.get("WITNESS_CONFIG") or None
        return cls(
            kafka_bootstrap=env.get("WITNESS_KAFKA_BOOTSTRAP") or None,
            database_url=_database_url(env.get("WITNESS_DATABASE_URL") or DEFAULT_SQLITE_URL),
            locale=locale,
            config_path=config_path,
            session_timeout_ms=_int_env(env, "WITNESS_KAFKA_SESSION_TIMEOUT_MS", 10_000, 1),
            partitions=_int_env(env, "WITNESS_PARTITIONS", 3, 1),
            topic_prefix=env.get("WITNESS_TOPIC_PREFIX", ""),
            auto_record_seconds=_int_env(env, "WITNESS_AUTO_RECORD_SECONDS", 5, 0),
            auto_record_wait_seconds=_int_env(env, "WITNESS_AUTO_RECORD_WAIT_SECONDS", 300, 0),
            snapshot_every_events=_int_env(env, "WITNESS_SNAPSHOT_EVENTS", 10_000, 1),
            snapshot_every_seconds=_int_env(env, "WITNESS_SNAPSHOT_SECONDS", 30, 1),
            tick_seconds=_int_env(env, "WITNESS_TICK_SECONDS", 10, 0),
            frame_window_seconds=_int_env(env, "WITNESS_FRAME_WINDOW_SECONDS", 0, 0),
            thresholds=Thresholds.load(config_path),
        )


def _database_url(url: str) -> str:
    """`url` checked before any command opens it: a mistyped scheme made every command that
    touches the store die in a SQLAlchemy traceback. `postgres://` (libpq's and many hosts'
    spelling, an alias SQLAlchemy dropped) is read as `postgresql://`. The error names only
    the scheme, never a password in the rest."""
    match = _DATABASE_URL.match(url)
    backend = match["backend"].lower() if match else None
    if backend == "postgres":
        backend = "postgresql"
    if match:
        url = backend + url[len(match["backend"]) :]  # `SQLite://` is sqlite:// to SQLAlchemy too
    if (
        backend not in _DATABASE_DRIVERS
        or (match["driver"] or None) not in _DATABASE_DRIVERS[backend]
    ):
        given = repr(f"{match[0]}..." if match else _no_secrets(url))
        raise ConfigError(t("config.database_url", given=given), source="WITNESS_DATABASE_URL")
    return url


def _no_secrets(value: str) -> str:
    """A value with no scheme, as far as it can be shown: what follows an `@`, or what
    precedes a `:` (`user:password`), at most 40 characters."""
    if "@" in value:
        return value.rsplit("@", 1)[-1][:40]
    return value.split(":", 1)[0][:40] + ("..." if ":" in value else "")


def _int_env(env: dict[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{raw!r} is not a whole number", source=name) from None
    if value < minimum:
        raise ConfigError(f"{value} is below the minimum {minimum}", source=name)
    return value
