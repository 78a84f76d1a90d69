"""What one camera frame says: light, focus, change, motion, people, faces (OpenCV).

The measures are pure functions over numpy frames so they can be tested on pictures;
`FrameAnalyzer` holds the little state one camera needs between samples (previous
frame, background model, reference view, detection cadence) and turns a BGR frame into
the numbers of a `frame.analyzed` payload (DESIGN §4).

Cost model (why the resolutions and the cadence below): a camera is sampled at about
1 fps and a 2-core box must serve 64 rooms, so the whole analysis must average well
under 15 ms a frame. Everything cheap runs on a grey copy 320 px wide (motion on
160 px); the two detectors are the expensive part and run on the 320 px copy on
alternate beats of a cadence: HOG people detection on samples where
`index % DETECT_EVERY == phase`, Haar faces half a cadence later, each carrying its
last count forward in between. Measured on one core (`bench/camera.py`): HOG about
6 ms and Haar about 16-24 ms a call on the 320 px copy, so with DETECT_EVERY = 6 (a
fresh count every 6 s at 1 fps) a frame costs about 6 ms of CPU in all, i.e. about
300 frames/s on two cores, against 64 needed.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

#: Width of the working copy every measure but the thumbnail uses.
ANALYSIS_WIDTH = 320
#: Width of the copy the background model runs on (motion needs no detail).
MOTION_WIDTH = 160
#: Run each detector on one sample in this many (HOG and Haar are offset by half).
DETECT_EVERY = 6
#: Seconds between thumbnails of one camera, and their size limits.
THUMB_EVERY_S = 5.0
THUMB_WIDTH = 240
THUMB_MAX_BYTES = 20_000
#: Mean absolute grey difference (0-255) at or below which two samples are "the same".
#: Live sensors are never this quiet, so equality means a frozen encoder or a still image.
FROZEN_TOLERANCE = 0.35
#: Grey levels and histogram bins for scene comparison.
HIST_BINS = 32
#: Scene-change reference: distances under this keep adapting the reference view; a
#: different view held this long becomes the new reference (the camera was re-aimed on
#: purpose, the alert has long been raised).
SCENE_STABLE = 0.25
SCENE_REANCHOR_S = 300.0
SCENE_ADAPT = 0.05
#: Pixel change in the background model that counts as motion (MOG2 variance threshold).
MOTION_VAR_THRESHOLD = 25.0
#: HOG hits below this SVM weight are ignored (textures fire weakly).
HOG_MIN_WEIGHT = 0.5


# ---------------------------------------------------------------- pure measures


def to_grey(frame: np.ndarray) -> np.ndarray:
    """A uint8 single-channel copy (BGR, BGRA or already grey in)."""
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def resize_to_width(image: np.ndarray, width: int) -> np.ndarray:
    """Shrink (never enlarge) to `width`, keeping the aspect ratio.

    Halves first: OpenCV's area filter has a fast path for exactly 2x, and a cascade of
    box filters is still a box filter, so 1280 -> 320 costs a tenth of one 4x step.
    """
    h, w = image.shape[:2]
    if w <= width:
        return image
    while w >= 2 * width and h >= 2:
        image = cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
    if w == width:
        return image
    height = max(1, round(h * width / w))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def brightness(grey: np.ndarray) -> float:
    """Mean grey level 0-255; a black or capped lens sits near 0."""
    return float(np.clip(cv2.mean(grey)[0], 0.0, 255.0))


def sharpness(grey: np.ndarray) -> float:
    """Variance of the Laplacian: edges make it large, blur or a covered lens near 0.

    Measured on the 320 px working copy so one threshold fits every camera resolution.
    """
    lap = cv2.Laplacian(grey, cv2.CV_32F)
    _, std = cv2.meanStdDev(lap)
    return float(std[0, 0] ** 2)


def mean_abs_diff(grey: np.ndarray, prev: np.ndarray | None) -> float | None:
    """Mean absolute grey difference to the previous sample (None for the first)."""
    if prev is None or prev.shape != grey.shape:
        return None
    return float(cv2.mean(cv2.absdiff(grey, prev))[0])


def is_frozen(grey: np.ndarray, prev: np.ndarray | None, tol: float = FROZEN_TOLERANCE) -> bool:
    """No change at all since the previous sample: a hung encoder or a looped still."""
    diff = mean_abs_diff(grey, prev)
    return diff is not None and diff <= tol


def histogram(grey: np.ndarray, bins: int = HIST_BINS) -> np.ndarray:
    """Normalised grey histogram (sums to 1), float32 for cv2.compareHist."""
    hist = cv2.calcHist([grey], [0], None, [bins], [0, 256]).ravel()
    total = float(hist.sum()) or 1.0
    return (hist / total).astype(np.float32)


def hist_distance(a: np.ndarray, b: np.ndarray | None) -> float:
    """Bhattacharyya distance 0 (same light distribution) .. 1 (disjoint)."""
    if b is None:
        return 0.0
    d = cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA)
    return float(np.clip(d, 0.0, 1.0))


@lru_cache(maxsize=1)
def _hog() -> cv2.HOGDescriptor:
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    return hog


_local = threading.local()


def _face_cascade() -> cv2.CascadeClassifier:
    """One cascade per thread: the agent analyses cameras in parallel threads and
    OpenCV does not promise that one CascadeClassifier may be used concurrently."""
    cascade = getattr(_local, "faces", None)
    if cascade is None:
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():  # pragma: no cover - broken OpenCV install
            raise RuntimeError(f"cannot load the Haar face cascade {path}")
        _local.faces = cascade
    return cascade


def count_persons(image: np.ndarray, min_weight: float = HOG_MIN_WEIGHT) -> int:
    """Standing/walking people by OpenCV's default HOG + linear SVM detector.

    HOG needs a 64x128 window, so on the 320 px copy it finds people taller than about
    a third of the picture; seated people are counted through their faces instead
    (see `FrameAnalyzer`, persons = max(HOG people, faces)).
    """
    if image.shape[0] < 128 or image.shape[1] < 64:
        return 0
    rects, weights = _hog().detectMultiScale(
        image, winStride=(8, 8), padding=(8, 8), scale=1.1, hitThreshold=0.0
    )
    if len(rects) == 0:
        return 0
    keep = [
        list(map(int, r)) for r, w in zip(rects, np.ravel(weights), strict=True) if w >= min_weight
    ]
    if not keep:
        return 0
    grouped, _ = cv2.groupRectangles(keep + keep, groupThreshold=1, eps=0.3)
    return len(grouped)


def count_faces(grey: np.ndarray) -> int:
    """Frontal faces by the Haar cascade shipped with OpenCV.

    On the 320 px copy the smallest face found is 20 px, i.e. 40 px in a 640 px picture.
    """
    faces = _face_cascade().detectMultiScale(
        grey, scaleFactor=1.2, minNeighbors=4, minSize=(20, 20)
    )
    return len(faces)


def thumbnail(frame: np.ndarray, width: int = THUMB_WIDTH, max_bytes: int = THUMB_MAX_BYTES) -> str:
    """A small JPEG, base64, under `max_bytes` (quality steps down until it fits)."""
    small = resize_to_width(frame, width)
    for quality in (70, 55, 40, 30, 20):
        ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok and len(buf) <= max_bytes:
            return base64.b64encode(buf.tobytes()).decode("ascii")
        small = resize_to_width(small, max(32, small.shape[1] * 3 // 4))
    ok, buf = cv2.imencode(".jpg", resize_to_width(frame, 64), [cv2.IMWRITE_JPEG_QUALITY, 20])
    return base64.b64encode(buf.tobytes()).decode("ascii")


# ---------------------------------------------------------------- per-camera state


@dataclass
class FrameMetrics:
    """The measured part of a `frame.analyzed` payload."""

    width: int
    height: int
    brightness: float
    sharpness: float
    frozen: bool
    motion: float
    scene_change: float
    persons: int
    faces: int
    thumbnail: str | None = None

    def payload(self) -> dict:
        d = {
            "width": self.width,
            "height": self.height,
            "brightness": round(self.brightness, 2),
            "sharpness": round(self.sharpness, 2),
            "frozen": self.frozen,
            "motion": round(self.motion, 4),
            "scene_change": round(self.scene_change, 4),
            "persons": self.persons,
            "faces": self.faces,
        }
        if self.thumbnail is not None:
            d["thumbnail"] = self.thumbnail
        return d


@dataclass
class FrameAnalyzer:
    """One camera's analysis state. Feed samples in time order with their time (s).

    `phase` staggers the detection beats of cameras served by one process, so 64 of
    them do not all run HOG on the same second.
    """

    detect_every: int = DETECT_EVERY
    phase: int = 0
    thumb_every_s: float = THUMB_EVERY_S
    detect_people: bool = True
    index: int = 0
    _prev: np.ndarray | None = None
    _ref_hist: np.ndarray | None = None
    _off_since: float | None = None
    _last_thumb_t: float | None = None
    _persons: int = 0
    _faces: int = 0
    _bg: cv2.BackgroundSubtractor | None = field(default=None, repr=False)

    def analyze(self, frame: np.ndarray, t: float) -> FrameMetrics:
        h, w = frame.shape[:2]
        work = resize_to_width(frame, ANALYSIS_WIDTH)
        grey = to_grey(work)
        m_bright = brightness(grey)
        m_sharp = sharpness(grey)
        frozen = is_frozen(grey, self._prev)
        motion = self._motion(grey)
        scene = self._scene(grey, t)
        self._prev = grey

        n = max(1, self.detect_every)
        beat = (self.index - self.phase) % n
        first = self.index == 0  # no count to carry forward yet: measure both
        if self.detect_people and (first or beat == 0):
            self._persons = count_persons(work)
        if self.detect_people and (first or beat == n // 2):
            self._faces = count_faces(grey)
        self.index += 1

        thumb = None
        if self._last_thumb_t is None or t - self._last_thumb_t >= self.thumb_every_s:
            thumb = thumbnail(work)  # from the working copy: no second big resize
            self._last_thumb_t = t
        return FrameMetrics(
            width=w,
            height=h,
            brightness=m_bright,
            sharpness=m_sharp,
            frozen=frozen,
            motion=motion,
            scene_change=scene,
            persons=max(self._persons, self._faces),
            faces=self._faces,
            thumbnail=thumb,
        )

    def _motion(self, grey: np.ndarray) -> float:
        """Share of pixels the background model calls foreground (0 on the first sample)."""
        small = resize_to_width(grey, MOTION_WIDTH)
        if self._bg is None:
            self._bg = cv2.createBackgroundSubtractorMOG2(
                history=60, varThreshold=MOTION_VAR_THRESHOLD, detectShadows=False
            )
            self._bg.apply(small, learningRate=1.0)
            return 0.0
        mask = self._bg.apply(small)
        return float(cv2.countNonZero(mask)) / float(mask.size)

    def _scene(self, grey: np.ndarray, t: float) -> float:
        """Distance of this view from the camera's reference view.

        The reference follows slow change (daylight) but not a sudden one, so a re-aimed,
        covered or swapped camera keeps a high value for as long as the new view lasts,
        while a one-frame glitch is one high sample.
        """
        hist = histogram(grey)
        if self._ref_hist is None:
            self._ref_hist = hist
            return 0.0
        d = hist_distance(hist, self._ref_hist)
        if d < SCENE_STABLE:
            self._ref_hist = (1 - SCENE_ADAPT) * self._ref_hist + SCENE_ADAPT * hist
            self._off_since = None
        else:
            if self._off_since is None:
                self._off_since = t
            elif t - self._off_since >= SCENE_REANCHOR_S:
                self._ref_hist = hist
                self._off_since = None
        return d
