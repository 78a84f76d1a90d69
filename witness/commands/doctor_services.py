"""`witness doctor`'s look at the running services: what they last said in the store.

The recorder reports itself in `service_health` (witness/store/health.py): `degraded`
while the database refuses its writes or the broker does not answer, `failed` when it
gave up, `ok` with a heartbeat.
"""

from __future__ import annotations

from datetime import timedelta

from witness.i18n import register, t
from witness.store.health import BROKER_DETAIL

register(
    {
        "doctor.svc_ok": (
            "{service}（{instance}）运行正常，{age} 秒前报告",
            "{service} ({instance}) is healthy, reported {age} s ago",
        ),
        "doctor.svc_degraded": (
            "{service}（{instance}）自 {since} 起无法写入数据库：{detail}",
            "{service} ({instance}) cannot write to the database since {since}: {detail}",
        ),
        "doctor.svc_degraded_fix": (
            "检查数据库（可连接、磁盘空间、连接数）；记录器保持其在 Kafka 中的位置并自动重试，恢复后继续，不丢数据",
            "check the database (reachable, disk space, connections); the recorder keeps its place in Kafka and retries, and resumes by itself with nothing lost",
        ),
        "doctor.svc_broker": (
            "{service}（{instance}）自 {since} 起无法连接 Kafka：{detail}",
            "{service} ({instance}) cannot reach Kafka since {since}: {detail}",
        ),
        "doctor.svc_broker_fix": (
            "检查 Kafka 代理（进程、网络、磁盘）；记录器只提交已存储的记录，代理恢复后自动继续，不丢数据",
            "check the Kafka brokers (processes, network, disk); the recorder commits only what it stored and resumes by itself once they answer, with nothing lost",
        ),
        "doctor.svc_failed": (
            "{service}（{instance}）于 {since} 放弃并退出：{detail}",
            "{service} ({instance}) gave up at {since}: {detail}",
        ),
        "doctor.svc_failed_fix": (
            "数据库恢复后重新启动 `witness run`（docker compose up -d）；未写入的批次没有提交偏移，会重新读取，不丢数据",
            "restart `witness run` once the database is back (docker compose up -d); batches not stored were not committed and are read again, nothing is lost",
        ),
        "doctor.svc_stale": (
            "{service}（{instance}）已 {minutes} 分钟没有报告（进程可能已退出）",
            "{service} ({instance}) has not reported for {minutes} minute(s) (it may have died)",
        ),
        "doctor.svc_stale_fix": (
            "确认 `witness run` 在运行（docker compose ps）并查看其日志",
            "check `witness run` is running (docker compose ps) and read its log",
        ),
    }
)

#: Reports older than this are history, not news.
RECENT = timedelta(hours=24)


def check_services(out, engine) -> None:
    """One line per running (or recently failed) service instance."""
    from witness.store.health import is_stale, rows
    from witness.store.models import to_utc, utcnow

    now = utcnow()
    recent = [r for r in rows(engine, newer_than=now - RECENT) if r.status != "stopped"]
    alive = {r.service for r in recent if r.status == "ok" and not is_stale(r, now)}
    for r in recent:
        since = to_utc(r.since).isoformat(timespec="seconds")
        names = {"service": r.service, "instance": r.instance}
        if r.status == "degraded" and not is_stale(r, now):
            what = "broker" if (r.detail or "").startswith(BROKER_DETAIL) else "degraded"
            out.add(
                "fail",
                t(f"doctor.svc_{what}", since=since, detail=r.detail or "", **names),
                t(f"doctor.svc_{what}_fix"),
            )
        elif r.status == "failed" and r.service not in alive:
            out.add(
                "warn",
                t("doctor.svc_failed", since=since, detail=r.detail or "", **names),
                t("doctor.svc_failed_fix"),
            )
        elif is_stale(r, now) and r.service not in alive:
            minutes = int((now - to_utc(r.updated_at)).total_seconds() // 60)
            out.add(
                "warn", t("doctor.svc_stale", minutes=minutes, **names), t("doctor.svc_stale_fix")
            )
        elif r.status == "ok" and not is_stale(r, now):
            age = int((now - to_utc(r.updated_at)).total_seconds())
            out.add("ok", t("doctor.svc_ok", age=age, **names))
