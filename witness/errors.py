"""One error root for everything Witness raises on purpose.

Every error a user can cause (bad config, bad input, an unreachable broker, a refused
decision) is a `WitnessError`. `describe()` says where it came from (a file and line, a
topic offset, a setting) so `witness` can print one clear line and exit 2, and the worker
can put the same text on a dead letter. Subclasses keep their old base classes
(ValueError, RuntimeError) so callers that caught those still work.
"""

from __future__ import annotations


class WitnessError(Exception):
    """Base of all deliberate Witness errors.

    `source` names where the problem is: ``"thresholds.toml line 12"``,
    ``"events.jsonl line 3"``, ``"WITNESS_LOCALE"``. It is optional: some errors are
    about the system as a whole.
    """

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source

    def describe(self) -> str:
        """One line for a person: where, then what."""
        return f"{self.source}: {self.message}" if self.source else self.message

    def __str__(self) -> str:
        return self.describe()


class ConfigError(WitnessError, ValueError):
    """A setting or a thresholds file is wrong; nothing was started."""


class InputFileError(WitnessError, FileNotFoundError):
    """A file named on the command line is missing, or a line of it is unreadable;
    `source` names the file (and the line)."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        WitnessError.__init__(self, message, source=source)

    @classmethod
    def missing(cls, path: object) -> InputFileError:
        """'PATH: no such file' (or 'is a directory'), in the user's language."""
        from pathlib import Path

        from witness.i18n import t

        key = "error.is_dir" if Path(str(path)).is_dir() else "error.no_file"
        return cls(t(key), source=str(path))


def os_reason(exc: OSError) -> str:
    """Why the system would not let a file be read, in the user's language (the C
    library's strerror is English whatever the locale)."""
    from witness.i18n import t

    if isinstance(exc, FileNotFoundError):
        return t("error.no_file")
    if isinstance(exc, IsADirectoryError):
        return t("error.is_dir")
    if isinstance(exc, PermissionError):
        return t("error.no_permission")
    return exc.strerror or str(exc)
