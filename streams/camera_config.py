"""What a camera agent is told to run: its cameras and its options, checked first.

An ops person types these (`SOURCE --room`, `--source ROOM:CAMERA:URL`, a cameras.toml).
A slip must stop the agent with one line naming the camera and the field. Without the
checks, a room id with a trailing space starts a camera whose frames never reach its
room (VID rules then watch nothing), an empty room dies inside the contract after the
camera opened, and an fps of inf or a heartbeat of 0 spins a thread for ever.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, ValidationError

from witness.errors import ConfigError, InputFileError, os_reason
from witness.i18n import register, t
from witness.payloads import MAX_ID_CHARS

#: Open/read timeout of network streams.
STREAM_TIMEOUT_MS = 10_000
#: No camera delivers more; a higher rate would only re-read the same frames.
MAX_FPS = 1000.0
#: Heartbeats closer than this would flood the bus while a source is down.
MIN_HEARTBEAT_S = 0.1
MAX_HEARTBEAT_S = 86_400.0

register(
    {
        "camera.spec.format": (
            "{text!r} 应写成 房间:摄像头:地址（如 R-EVAL-1:C1:rtsp://10.0.0.7/sub）",
            "{text!r}: expected ROOM:CAMERA:SOURCE (e.g. R-EVAL-1:C1:rtsp://10.0.0.7/sub)",
        ),
        "camera.field.empty": ("{field} 为空", "{field} is empty"),
        "camera.field.blanks": (
            "{field} {value!r} 首尾有空白",
            "{field} {value!r} begins or ends with a blank",
        ),
        "camera.field.control": (
            "{field} {value!r} 含控制字符（换行、制表符等）",
            "{field} {value!r} holds a control character (a line break, a tab ...)",
        ),
        "camera.field.long": (
            "{field} 超过 {n} 个字符",
            "{field} is longer than {n} characters",
        ),
        "camera.field.type": (
            "{field} 应为文字（或整数），不是 {value!r}",
            "{field} must be text (or a whole number), not {value!r}",
        ),
        "camera.field.missing": ("缺少 {field}", "{field} is missing"),
        "camera.field.unknown": (
            "未知的键 {field}（可用：room、camera、source）",
            "unknown key {field} (known: room, camera, source)",
        ),
        "camera.problems_sep": ("；", "; "),
        "camera.toml.bad": ("不是有效的 TOML：{reason}", "not valid TOML: {reason}"),
        "camera.toml.none": (
            "没有 [[camera]] 表（每个表写 room、camera、source）",
            "no [[camera]] tables (each with room, camera, source)",
        ),
        "camera.toml.shape": (
            "camera 应写成 [[camera]] 表，不是 {value!r}",
            "camera must be [[camera]] tables, not {value!r}",
        ),
        "camera.toml.entry": ("第 {n} 个 [[camera]]", "[[camera]] #{n}"),
        "camera.duplicate": (
            "房间 {room} 的摄像头 {camera} 出现了两次：每个 房间:摄像头 只能有一路视频",
            "camera {camera} of room {room} is given twice: one video per ROOM:CAMERA",
        ),
        "camera.option.range": (
            "{option} 必须在 {low} 到 {high} 之间，收到 {value}",
            "{option} must be between {low} and {high}, got {value}",
        ),
        "camera.option.above": (
            "{option} 必须大于 {low} 且不超过 {high}，收到 {value}",
            "{option} must be above {low} and at most {high}, got {value}",
        ),
        "camera.option.positive": (
            "{option} 必须是大于 0 的有限数，收到 {value}",
            "{option} must be a finite number above 0, got {value}",
        ),
        "camera.option.count": (
            "{option} 必须是正整数，收到 {value}",
            "{option} must be a whole number above 0, got {value}",
        ),
        "camera.start": (
            "--start {value!r} 不是带时区偏移的 ISO-8601 时间（例如 2026-11-20T09:30:00+08:00）",
            "--start {value!r} is not an ISO-8601 time with an offset (e.g. 2026-11-20T09:30:00+08:00)",
        ),
    }
)


class CameraConfigError(ConfigError):
    """A camera or an agent option is wrong; no camera was started."""


def _checked_id(field: str, value: str) -> str:
    """An id as the contract keys it, and as a person can read it back."""
    if not value.strip():
        raise CameraConfigError(t("camera.field.empty", field=field))
    if value != value.strip():
        raise CameraConfigError(t("camera.field.blanks", field=field, value=value))
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise CameraConfigError(t("camera.field.control", field=field, value=value))
    if len(value) > MAX_ID_CHARS:
        raise CameraConfigError(t("camera.field.long", field=field, n=MAX_ID_CHARS))
    return value


@dataclass(frozen=True)
class CameraSpec:
    """One camera: which room, which id, where its pictures come from.

    An empty, blank-edged or unprintable id, or an empty source, is refused here: the
    room must equal the one registered for the project, byte for byte. What a person
    typed goes through `typed`, which drops the blanks a hand adds.
    """

    room_id: str
    camera_id: str
    source: str

    def __post_init__(self) -> None:
        _checked_id("room", self.room_id)
        _checked_id("camera", self.camera_id)
        if not self.source.strip():
            raise CameraConfigError(t("camera.field.empty", field="source"))

    @classmethod
    def typed(cls, room: str, camera: str, source: str) -> CameraSpec:
        """A camera as given on the command line or in a file, surrounding blanks off."""
        return cls(room.strip(), camera.strip(), source.strip())

    @classmethod
    def parse(cls, text: str) -> CameraSpec:
        """`ROOM:CAMERA:SOURCE`; the source may itself contain colons (rtsp://...)."""
        parts = text.split(":", 2)
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise CameraConfigError(t("camera.spec.format", text=text))
        try:
            return cls.typed(*parts)
        except CameraConfigError as exc:
            raise CameraConfigError(exc.message, source=repr(text)) from None

    @property
    def is_device(self) -> bool:
        return self.source.isdigit()

    @property
    def is_file(self) -> bool:
        return not self.is_device and "://" not in self.source

    def open(self) -> cv2.VideoCapture:
        if self.is_device:
            return cv2.VideoCapture(int(self.source))
        if self.is_file:
            return cv2.VideoCapture(self.source)
        # A network stream that stalls must fail within seconds, not block for ever.
        timeouts = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            STREAM_TIMEOUT_MS,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            STREAM_TIMEOUT_MS,
        ]
        return cv2.VideoCapture(self.source, cv2.CAP_ANY, timeouts)


class _CameraEntry(BaseModel):
    """One `[[camera]]` table; a room or a device may be written as a bare number."""

    model_config = ConfigDict(extra="forbid")

    room: StrictStr | StrictInt
    camera: StrictStr | StrictInt
    source: StrictStr | StrictInt


def _entry_problems(exc: ValidationError) -> str:
    """Everything wrong with one table, in the user's language: a misspelt key is
    named beside the key it left missing."""
    problems = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "camera"
        if err["type"] == "missing":
            problem = t("camera.field.missing", field=field)
        elif err["type"] == "extra_forbidden":
            problem = t("camera.field.unknown", field=field)
        else:
            problem = t("camera.field.type", field=field, value=err.get("input"))
        if problem not in problems:  # a union reports each member's complaint
            problems.append(problem)
    return t("camera.problems_sep").join(problems)


def load_cameras(path: str | Path) -> list[CameraSpec]:
    """Cameras from a TOML file: `[[camera]]` tables with room, camera and source."""
    import tomllib

    from witness import csv_text

    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputFileError(os_reason(exc), source=str(p)) from None
    try:
        data = tomllib.loads(csv_text.decode(raw))  # a BOM or GBK, as Notepad saves it
    except tomllib.TOMLDecodeError as exc:
        raise CameraConfigError(t("camera.toml.bad", reason=exc), source=str(p)) from None
    tables = data.get("camera", [])
    if not isinstance(tables, list):
        raise CameraConfigError(t("camera.toml.shape", value=tables), source=str(p))
    specs = []
    for n, item in enumerate(tables, 1):
        where = f"{p} {t('camera.toml.entry', n=n)}"
        if not isinstance(item, dict):
            raise CameraConfigError(t("camera.toml.shape", value=item), source=where)
        try:
            entry = _CameraEntry.model_validate(item)
            specs.append(CameraSpec.typed(str(entry.room), str(entry.camera), str(entry.source)))
        except ValidationError as exc:
            raise CameraConfigError(_entry_problems(exc), source=where) from None
        except CameraConfigError as exc:
            raise CameraConfigError(exc.message, source=where) from None
    if not specs:
        raise CameraConfigError(t("camera.toml.none"), source=str(p))
    return specs


def check_unique(specs: Iterable[CameraSpec]) -> None:
    """Two videos under one ROOM:CAMERA would interleave as one camera's frames."""
    seen: set[tuple[str, str]] = set()
    for spec in specs:
        key = (spec.room_id, spec.camera_id)
        if key in seen:
            raise CameraConfigError(t("camera.duplicate", room=spec.room_id, camera=spec.camera_id))
        seen.add(key)


def parse_start(text: str | None) -> datetime | None:
    """`--start`: an ISO-8601 time that says its offset (a file has no time zone)."""
    if not text:
        return None
    try:
        start = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CameraConfigError(t("camera.start", value=text)) from None
    if start.tzinfo is None:
        raise CameraConfigError(t("camera.start", value=text))
    return start


def _in_range(option: str, value: float, low: float, high: float) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        raise CameraConfigError(
            t("camera.option.range", option=option, low=f"{low:g}", high=f"{high:g}", value=value)
        )


def _positive(option: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise CameraConfigError(t("camera.option.positive", option=option, value=value))


@dataclass
class AgentOptions:
    """How every camera of one agent samples and reports; checked when made."""

    fps: float = 1.0
    #: Seconds between `camera.status` heartbeats (on the source's clock).
    heartbeat_s: float = 10.0
    #: Start time of file sources; None means the wall clock when the file is opened.
    start: datetime | None = None
    #: Replay files forever (demo); time keeps running across loops.
    loop: bool = False
    #: Reopen delays for dropped live sources.
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    #: Stop a camera after this many sampled frames (tests, benches); None = no limit.
    max_frames: int | None = None
    #: Pace file sources at real time (demo) instead of as fast as they decode.
    realtime: bool = False
    #: With `realtime`: play files this many times faster than real time (an accelerated
    #: demo day); stamps still follow the file's own clock.
    speed: float = 1.0

    def __post_init__(self) -> None:
        # The names are the command line's: that is where a person set them.
        if not (math.isfinite(self.fps) and 0 < self.fps <= MAX_FPS):
            raise CameraConfigError(
                t("camera.option.above", option="--fps", low=0, high=f"{MAX_FPS:g}", value=self.fps)
            )
        _in_range("--heartbeat", self.heartbeat_s, MIN_HEARTBEAT_S, MAX_HEARTBEAT_S)
        _positive("--speed", self.speed)
        _positive("backoff_initial_s", self.backoff_initial_s)
        _positive("backoff_max_s", self.backoff_max_s)
        if self.max_frames is not None and self.max_frames < 1:
            raise CameraConfigError(
                t("camera.option.count", option="--max-frames", value=self.max_frames)
            )
        if self.start is not None and self.start.tzinfo is None:
            raise CameraConfigError(t("camera.start", value=self.start.isoformat()))
