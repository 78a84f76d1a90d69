"""`witness camera`: the OpenCV camera agent (video -> frame.analyzed / camera.status)."""

from __future__ import annotations

import argparse
import sys

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
        "camera.done_problem": ("；{source}：{problem}", "; {source}: {problem}"),
    }
)


register(
    {
        "help.camera.source": (
            "视频文件、rtsp://... 或 http://... 地址，或设备号（如 0）",
            "video file, rtsp://... or http://... URL, or a device index such as 0",
        ),
        "help.camera.room": (
            "SOURCE 所在的房间编号（与 project.registered 中登记的房间一致）",
            "room id of SOURCE (as in project.registered rooms)",
        ),
        "help.camera.camera": (
            "SOURCE 的摄像头编号（默认：ROOM-cam1）",
            "camera id of SOURCE (default: ROOM-cam1)",
        ),
        "help.camera.sources": (
            "再加一路摄像头；可重复，在一个进程中运行多路摄像头",
            "one more camera; repeat for many cameras in one process",
        ),
        "help.camera.cameras": (
            "从 TOML 文件读取摄像头：[[camera]] room = ..., camera = ..., source = ...",
            "cameras from a TOML file: [[camera]] room = ..., camera = ..., source = ...",
        ),
        "help.camera.fps": ("每秒分析的帧数（默认 1）", "frames analysed per second (default 1)"),
        "help.camera.heartbeat": (
            "两次 camera.status 之间的秒数（默认 10）",
            "seconds between camera.status (default 10)",
        ),
        "help.camera.start": (
            "文件首帧的时间，带时区偏移的 ISO-8601（默认：当前时间）；"
            "文件事件的时间为 start 加上在视频中的位置",
            "time of a file's first frame, ISO-8601 with offset (default: now); "
            "file events are stamped start + position in the video",
        ),
        "help.camera.loop": ("循环播放文件（演示用）", "replay files forever (demo)"),
        "help.camera.realtime": (
            "按实际时间节奏播放文件（演示用）",
            "pace files at real time (demo)",
        ),
        "help.camera.speed": (
            "与 --realtime 一起用：以实际时间的 S 倍速播放文件（默认 1）",
            "with --realtime: play files S times faster than real time (default 1)",
        ),
        "help.camera.max_frames": (
            "每路摄像头分析 N 帧后停止",
            "stop each camera after N analysed frames",
        ),
        "help.camera.out": (
            "把事件追加到文件，而不发送到 Kafka",
            "append events to a file instead of Kafka",
        ),
        "help.camera.bootstrap": (
            "Kafka 引导服务器（默认 WITNESS_KAFKA_BOOTSTRAP）",
            "Kafka bootstrap servers (default WITNESS_KAFKA_BOOTSTRAP)",
        ),
        "epilog.camera": (
            "示例：\n"
            "  witness camera room1.mp4 --room R-EVAL-1 --camera C1 --out frames.jsonl\n"
            "  witness camera rtsp://10.0.0.7/sub --room R-EVAL-1 --camera C1\n"
            "  witness camera --source R-EVAL-1:C1:rtsp://10.0.0.7/sub --source R-EVAL-1:C2:0\n"
            "  witness camera --cameras cameras.toml --fps 1\n"
            "\n"
            "请使用摄像头的子码流（低分辨率、低帧率）：每秒 1 帧时每帧分析只需几毫秒，\n"
            "但解码 25 fps 的主码流开销远不止于此。",
            "examples:\n"
            "  witness camera room1.mp4 --room R-EVAL-1 --camera C1 --out frames.jsonl\n"
            "  witness camera rtsp://10.0.0.7/sub --room R-EVAL-1 --camera C1\n"
            "  witness camera --source R-EVAL-1:C1:rtsp://10.0.0.7/sub --source R-EVAL-1:C2:0\n"
            "  witness camera --cameras cameras.toml --fps 1\n"
            "\n"
            "Use the camera's sub-stream (low resolution, low frame rate): at 1 fps the\n"
            "analysis costs a few ms a frame, but decoding a 25 fps main stream does not.",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", nargs="?", help=t("help.camera.source"))
    p.add_argument("--room", help=t("help.camera.room"))
    p.add_argument("--camera", help=t("help.camera.camera"))
    p.add_argument(
        "--source",
        dest="sources",
        action="append",
        default=[],
        metavar="ROOM:CAMERA:URL",
        help=t("help.camera.sources"),
    )
    p.add_argument("--cameras", metavar="FILE.toml", help=t("help.camera.cameras"))
    p.add_argument("--fps", type=float, default=1.0, help=t("help.camera.fps"))
    p.add_argument("--heartbeat", type=float, default=10.0, help=t("help.camera.heartbeat"))
    p.add_argument("--start", help=t("help.camera.start"))
    p.add_argument("--loop", action="store_true", help=t("help.camera.loop"))
    p.add_argument("--realtime", action="store_true", help=t("help.camera.realtime"))
    p.add_argument("--speed", type=float, default=1.0, help=t("help.camera.speed"))
    p.add_argument("--max-frames", type=int, help=t("help.camera.max_frames"))
    p.add_argument("--out", metavar="FILE.jsonl", help=t("help.camera.out"))
    p.add_argument("--bootstrap", help=t("help.camera.bootstrap"))
    p.epilog = t("epilog.camera")


def _specs(args: argparse.Namespace):
    from streams.camera_config import CameraSpec, check_unique, load_cameras

    specs = []
    if args.source:
        if not args.room:
            raise ValueError(t("camera.need_room"))
        room = args.room.strip()
        specs.append(CameraSpec.typed(room, args.camera or f"{room}-cam1", args.source))
    specs.extend(CameraSpec.parse(s) for s in args.sources)
    if args.cameras:
        specs.extend(load_cameras(args.cameras))
    if not specs:
        raise ValueError(t("camera.need_source"))
    check_unique(specs)
    return specs


def run(args: argparse.Namespace) -> int:
    from streams.camera_agent import JsonlSink, run_agent
    from streams.camera_config import AgentOptions, parse_start
    from witness.commands.common import load_settings
    from witness.errors import WitnessError

    configure_logging(verbose=True, fmt="%(asctime)s %(name)s %(message)s")
    try:
        specs = _specs(args)
        options = AgentOptions(
            fps=args.fps,
            heartbeat_s=args.heartbeat,
            start=parse_start(args.start),
            loop=args.loop,
            realtime=args.realtime,
            speed=args.speed,
            max_frames=args.max_frames,
        )
    except (WitnessError, ValueError) as exc:
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
    try:
        workers = run_agent(specs, sink, options)
    finally:
        sink.flush()
        sink.close()
    for w in workers:
        done = t(
            "camera.done",
            camera=w.spec.camera_id,
            room=w.spec.room_id,
            frames=w.frames_sent,
            statuses=w.statuses_sent,
        )
        if w.problem:
            done += t("camera.done_problem", source=w.spec.source, problem=w.problem)
        print(done, file=sys.stderr)
    return 0 if all(w.result == 0 for w in workers) else 1
