"""`witness camera`: the OpenCV camera agent (video -> frame.analyzed / camera.status)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from witness.i18n import register, t
from witness.logs import configure as configure_logging

HELP = (
    "摄像头代理：读取视频文件、RTSP/HTTP 地址或设备号，逐帧分析（亮度、清晰度、冻结、运动、人数、人脸）并发布 frame.analyzed 事件",
    "camera agent: read a video file, RTSP/HTTP URL or device index, analyse sampled frames "
    "(brightness, sharpness, frozen, motion, people, faces) and publish frame.analyzed events",
)

register(
    {
        "camera.need_source": (
            "请给出视频源（SOURCE 加 --room），或使用 --source 房间:摄像头:地址 / --cameras 文件",
            "give a SOURCE with --room, or --source ROOM:CAMERA:URL, or --cameras FILE",
        ),
        "camera.need_room": ("SOURCE 需要同时给出 --room", "SOURCE needs --room"),
        "camera.need_out": (
            "未配置消息代理：请设置 WITNESS_KAFKA_BOOTSTRAP 或 --bootstrap，或用 --out 写入文件",
            "no broker configured: set WITNESS_KAFKA_BOOTSTRAP or --bootstrap, or write to a file with --out",
        ),
        "camera.bad": ("参数错误：{reason}", "bad argument: {reason}"),
        "camera.done": (
            "摄像头 {camera}（{room}）：{frames} 帧，{statuses} 条状态",
            "camera {camera} ({room}): {frames} frames, {statuses} status events",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "source",
        nargs="?",
        help="video file, rtsp://... or http://... URL, or a device index such as 0",
    )
    p.add_argument("--room", help="room id of SOURCE (as in project.registered rooms)")
    p.add_argument("--camera", help="camera id of SOURCE (default: ROOM-cam1)")
    p.add_argument(
        "--source",
        dest="sources",
        action="append",
        default=[],
        metavar="ROOM:CAMERA:URL",
        help="one more camera; repeat for many cameras in one process",
    )
    p.add_argument(
        "--cameras",
        metavar="FILE.toml",
        help="cameras from a TOML file: [[camera]] room = ..., camera = ..., source = ...",
    )
    p.add_argument("--fps", type=float, default=1.0, help="frames analysed per second (default 1)")
    p.add_argument(
        "--heartbeat", type=float, default=10.0, help="seconds between camera.status (default 10)"
    )
    p.add_argument(
        "--start",
        help="time of a file's first frame, ISO-8601 with offset (default: now); "
        "file events are stamped start + position in the video",
    )
    p.add_argument("--loop", action="store_true", help="replay files forever (demo)")
    p.add_argument("--realtime", action="store_true", help="pace files at real time (demo)")
    p.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="with --realtime: play files S times faster than real time (default 1)",
    )
    p.add_argument("--max-frames", type=int, help="stop each camera after N analysed frames")
    p.add_argument("--out", metavar="FILE.jsonl", help="append events to a file instead of Kafka")
    p.add_argument("--bootstrap", help="Kafka bootstrap servers (default WITNESS_KAFKA_BOOTSTRAP)")
    p.epilog = (
        "examples:\n"
        "  witness camera room1.mp4 --room R-EVAL-1 --camera C1 --out frames.jsonl\n"
        "  witness camera rtsp://10.0.0.7/sub --room R-EVAL-1 --camera C1\n"
        "  witness camera --source R-EVAL-1:C1:rtsp://10.0.0.7/sub --source R-EVAL-1:C2:0\n"
        "  witness camera --cameras cameras.toml --fps 1\n"
        "\n"
        "Use the camera's sub-stream (low resolution, low frame rate): at 1 fps the\n"
        "analysis costs a few ms a frame, but decoding a 25 fps main stream does not."
    )


def _specs(args: argparse.Namespace):
    from streams.camera_agent import CameraSpec, load_cameras

    specs = []
    if args.source:
        if not args.room:
            raise ValueError(t("camera.need_room"))
        specs.append(CameraSpec(args.room, args.camera or f"{args.room}-cam1", args.source))
    specs.extend(CameraSpec.parse(s) for s in args.sources)
    if args.cameras:
        specs.extend(load_cameras(args.cameras))
    if not specs:
        raise ValueError(t("camera.need_source"))
    return specs


def run(args: argparse.Namespace) -> int:
    from streams.camera_agent import AgentOptions, JsonlSink, run_agent
    from witness.commands.common import load_settings

    configure_logging(verbose=True, fmt="%(asctime)s %(name)s %(message)s")
    try:
        specs = _specs(args)
        if args.fps <= 0:
            raise ValueError("--fps must be > 0")
        if args.speed <= 0:
            raise ValueError("--speed must be > 0")
        start = datetime.fromisoformat(args.start) if args.start else None
        if start is not None and start.tzinfo is None:
            raise ValueError("--start needs an offset, e.g. 2026-11-20T09:30:00+08:00")
    except (ValueError, OSError) as exc:
        print(t("camera.bad", reason=exc), file=sys.stderr)
        return 2

    if args.out:
        sink = JsonlSink(args.out)
    else:
        settings = load_settings()
        bootstrap = args.bootstrap or settings.kafka_bootstrap
        if not bootstrap:
            print(t("camera.need_out"), file=sys.stderr)
            return 2
        from streams.bus import Producer, ensure_topics
        from streams.topics import Topics

        topics = Topics(settings.topic_prefix)
        ensure_topics(bootstrap, topics, settings.partitions)
        sink = Producer(bootstrap, topics)
    options = AgentOptions(
        fps=args.fps,
        heartbeat_s=args.heartbeat,
        start=start,
        loop=args.loop,
        realtime=args.realtime,
        speed=args.speed,
        max_frames=args.max_frames,
    )
    try:
        workers = run_agent(specs, sink, options)
    finally:
        sink.flush()
        sink.close()
    for w in workers:
        print(
            t(
                "camera.done",
                camera=w.spec.camera_id,
                room=w.spec.room_id,
                frames=w.frames_sent,
                statuses=w.statuses_sent,
            ),
            file=sys.stderr,
        )
    return 0 if all(w.result == 0 for w in workers) else 1
