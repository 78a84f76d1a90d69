"""Frame analysis on real photographs: faces, black and covered lenses, frozen feeds."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest

from detectors.video import TamperThresholds
from streams import frame_analysis as fa
from tests.support.video_events import black, covered, empty_room, noisy, other_view, person_in_room

TAMPER = TamperThresholds().model_dump()


def grey(frame: np.ndarray) -> np.ndarray:
    return fa.to_grey(fa.resize_to_width(frame, fa.ANALYSIS_WIDTH))


def test_a_face_is_counted_and_an_empty_room_has_none():
    assert fa.count_faces(grey(person_in_room())) == 1
    assert fa.count_faces(grey(person_in_room(640, 360))) == 1
    assert fa.count_faces(grey(empty_room())) == 0
    assert fa.count_persons(empty_room(640, 360)) == 0


def test_analyzer_reports_the_person_from_the_first_sample_and_carries_it_forward():
    rng = np.random.default_rng(1)
    a = fa.FrameAnalyzer(detect_every=6)
    counts = [a.analyze(noisy(person_in_room(), rng), float(t)).persons for t in range(8)]
    assert counts == [1] * 8
    # the person leaves: the count drops at the next face beat, not before
    after = [a.analyze(noisy(empty_room(), rng), float(t)).persons for t in range(8, 16)]
    assert after[0] == 1  # carried forward between beats
    assert after[-1] == 0


@pytest.mark.parametrize("picture", [black, covered], ids=["black", "covered"])
def test_black_and_covered_lens_fall_under_the_tamper_thresholds(picture):
    g = grey(picture())
    assert fa.brightness(g) < TAMPER["dark_brightness"]
    assert fa.sharpness(g) < TAMPER["blur_sharpness"]
    live = grey(person_in_room())
    assert fa.brightness(live) > TAMPER["dark_brightness"]
    assert fa.sharpness(live) > 10 * TAMPER["blur_sharpness"]


def test_blurred_picture_loses_sharpness():
    sharp = fa.sharpness(grey(person_in_room()))
    blurred = fa.sharpness(grey(cv2.GaussianBlur(person_in_room(), (0, 0), 8)))
    assert blurred < TAMPER["blur_sharpness"] < sharp


def test_frozen_means_no_change_and_sensor_noise_is_not_frozen():
    rng = np.random.default_rng(2)
    a = fa.FrameAnalyzer()
    still = person_in_room()
    flags = [a.analyze(still, float(t)).frozen for t in range(4)]
    assert flags == [False, True, True, True]  # nothing to compare the first sample with
    b = fa.FrameAnalyzer()
    live = [b.analyze(noisy(still, rng), float(t)).frozen for t in range(4)]
    assert live == [False] * 4


def test_scene_change_stays_high_while_the_view_is_different_and_a_glitch_is_one_sample():
    rng = np.random.default_rng(3)
    a = fa.FrameAnalyzer(detect_people=False)
    room = person_in_room()
    moved = other_view()
    for t in range(10):
        assert a.analyze(noisy(room, rng), float(t)).scene_change < TAMPER["scene_change"]
    # one glitch frame, then the room again
    glitch = a.analyze(noisy(moved, rng), 10.0).scene_change
    back = a.analyze(noisy(room, rng), 11.0).scene_change
    assert glitch >= TAMPER["scene_change"] > back
    # the camera now shows another view for good: every sample says so
    other = [a.analyze(noisy(moved, rng), float(t)).scene_change for t in range(12, 50)]
    assert min(other) >= TAMPER["scene_change"]


def test_motion_is_the_share_of_changed_pixels():
    rng = np.random.default_rng(4)
    a = fa.FrameAnalyzer(detect_people=False)
    for t in range(20):
        m = a.analyze(noisy(empty_room(), rng), float(t)).motion
    assert m < 0.01  # a quiet room
    m = a.analyze(noisy(person_in_room(), rng), 20.0).motion
    assert 0.2 < m <= 1.0  # someone walked in: a large share of the picture changed


def test_thumbnail_is_a_small_jpeg_at_most_every_few_seconds():
    rng = np.random.default_rng(5)
    a = fa.FrameAnalyzer(detect_people=False, thumb_every_s=5.0)
    big = noisy(person_in_room(1280, 720), rng, amp=40)  # noise makes JPEG large
    thumbs = [a.analyze(big, float(t)).thumbnail for t in range(11)]
    assert [t is not None for t in thumbs] == [i % 5 == 0 for i in range(11)]
    raw = base64.b64decode(thumbs[0])
    assert len(raw) <= fa.THUMB_MAX_BYTES
    img = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and img.shape[1] <= fa.THUMB_WIDTH


def test_payload_fits_the_event_contract():
    from witness.events import make_event

    m = fa.FrameAnalyzer().analyze(person_in_room(), 0.0)
    event = make_event(
        "frame.analyzed",
        "*",
        "2026-11-20T09:00:00+08:00",
        {"camera_id": "C1", "room_id": "R1", **m.payload()},
    )
    assert event.payload.faces == 1 and event.payload.width == 320
