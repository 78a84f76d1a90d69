"""`witness doctor`: is the broker reachable with every topic, is the database at head?

Ops staff run it after deploying and whenever something looks stuck; every finding says
what is wrong and the command that fixes it. `--fix` creates missing topics and applies
database migrations (the one-shot init step of docker-compose.yml).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from witness.commands.common import positive_number
from witness.i18n import register, t

HELP = (
    "体检：检查消息代理（可连接、主题与分区数、事件永久保留、登记事实按事实键）、数据库（可连接、结构版本为最新）和记录器状态，给出修复方法",
    "health check: broker reachable with every topic and partition count, witness.events kept forever, registry keyed by fact; database reachable at the newest schema; the recorder's last report; says how to fix",
)

register(
    {
        "doctor.ok": ("正常", "ok"),
        "doctor.warn": ("注意", "warning"),
        "doctor.fail": ("故障", "FAILED"),
        "doctor.fix": ("修复：{fix}", "fix: {fix}"),
        "doctor.summary_ok": ("全部检查通过。", "all checks passed."),
        "doctor.summary_fail": (
            "{n} 项检查未通过（见上）。",
            "{n} check(s) failed (see above).",
        ),
        "doctor.config": ("配置错误：{reason}", "configuration error: {reason}"),
        "doctor.config_fix": (
            "改正环境变量或 WITNESS_CONFIG 指向的阈值文件",
            "correct the environment variable or the thresholds file named by WITNESS_CONFIG",
        ),
        "doctor.broker_unset": (
            "未配置消息代理：WITNESS_KAFKA_BOOTSTRAP 为空",
            "no broker configured: WITNESS_KAFKA_BOOTSTRAP is empty",
        ),
        "doctor.broker_unset_fix": (
            "设置 WITNESS_KAFKA_BOOTSTRAP=主机:9092；单机试用请运行 `witness demo`（内置消息代理）",
            "set WITNESS_KAFKA_BOOTSTRAP=host:9092; to try it on one machine run `witness demo` (embedded broker)",
        ),
        "doctor.broker_down": (
            "无法连接消息代理 {bootstrap}（{seconds} 秒内无响应：{reason}）",
            "cannot reach the broker at {bootstrap} (no answer within {seconds} s: {reason})",
        ),
        "doctor.broker_down_fix": (
            "确认 Kafka 已启动（docker compose ps kafka）、主机名和端口正确、防火墙放行；Kafka 的 KAFKA_ADVERTISED_LISTENERS 必须是客户端能访问的地址",
            "check Kafka is up (docker compose ps kafka), the host and port are right and not firewalled; Kafka's KAFKA_ADVERTISED_LISTENERS must be an address clients can reach",
        ),
        "doctor.broker_up": (
            "消息代理 {bootstrap} 可连接（{brokers} 个节点）",
            "broker {bootstrap} reachable ({brokers} node(s))",
        ),
        "doctor.topic_missing": (
            "主题 {topic} 不存在",
            "topic {topic} does not exist",
        ),
        "doctor.topic_missing_fix": (
            "运行一次 `witness run` 或 `witness doctor --fix` 创建主题（分区数取 WITNESS_PARTITIONS={partitions}）",
            "run `witness run` once, or `witness doctor --fix`, to create topics (partitions from WITNESS_PARTITIONS={partitions})",
        ),
        "doctor.topic_ok": (
            "主题 {topic}：{partitions} 个分区",
            "topic {topic}: {partitions} partition(s)",
        ),
        "doctor.topic_few": (
            "主题 {topic} 只有 {partitions} 个分区，少于 WITNESS_PARTITIONS={wanted}：多出的检测器进程将空闲",
            "topic {topic} has {partitions} partition(s), fewer than WITNESS_PARTITIONS={wanted}: extra detector workers will sit idle",
        ),
        "doctor.topic_few_fix": (
            "kafka-topics.sh --bootstrap-server {bootstrap} --alter --topic {topic} --partitions {wanted}（witness.frames 与 witness.sessions 必须同时调整为相同分区数）",
            "kafka-topics.sh --bootstrap-server {bootstrap} --alter --topic {topic} --partitions {wanted} (alter witness.frames and witness.sessions together, to the same count)",
        ),
        "doctor.copartition": (
            "{frames}（{a} 个分区）与 {sessions}（{b} 个分区）分区数不同：视频规则无法把画面与会话对应到同一检测器",
            "{frames} ({a} partitions) and {sessions} ({b} partitions) differ: video rules cannot join frames with sessions on one worker",
        ),
        "doctor.copartition_fix": (
            "把两者调整为相同分区数：kafka-topics.sh --bootstrap-server {bootstrap} --alter --topic 分区较少的主题 --partitions {n}",
            "give both the same partition count: kafka-topics.sh --bootstrap-server {bootstrap} --alter --topic THE_SMALLER --partitions {n}",
        ),
        "doctor.not_compacted": (
            "主题 {topic} 的清理策略为 {policy}，应为 compact：旧的登记关系/会话会被删除，重启后的检测器将看不到它们",
            "topic {topic} has cleanup.policy={policy}, it must be compact: old registry facts / sessions would be deleted and restarted workers would not see them",
        ),
        "doctor.not_compacted_fix": (
            "kafka-configs.sh --bootstrap-server {bootstrap} --alter --entity-type topics --entity-name {topic} --add-config cleanup.policy=compact",
            "kafka-configs.sh --bootstrap-server {bootstrap} --alter --entity-type topics --entity-name {topic} --add-config cleanup.policy=compact",
        ),
        "doctor.compacted_log": (
            "主题 {topic} 的清理策略为 {policy}，不得压缩：检测器重建时从头重读，压缩会删去同一房间/项目的较早记录（例如开标会话的开始），视频规则将按无会话判断画面",
            "topic {topic} has cleanup.policy={policy}, it must not be compacted: workers rebuild by re-reading it from the start, and compaction deletes a room's or project's earlier records (an opening's start), so the video rules would judge frames with no session",
        ),
        "doctor.compacted_log_fix": (
            "kafka-configs.sh --bootstrap-server {bootstrap} --alter --entity-type topics --entity-name {topic} --add-config cleanup.policy=delete,retention.ms=-1,retention.bytes=-1",
            "kafka-configs.sh --bootstrap-server {bootstrap} --alter --entity-type topics --entity-name {topic} --add-config cleanup.policy=delete,retention.ms=-1,retention.bytes=-1",
        ),
        "doctor.retention": (
            "主题 {topic} 的 {setting}={value}，必须为 -1（永久保留）：检测器重启时从头重读该主题以重建各项目与房间状态，过期的记录会让告警缺失",
            "topic {topic} has {setting}={value}, it must be -1 (kept forever): detector workers rebuild every project's and room's state by re-reading it from the start, and expired records would be missing",
        ),
        "doctor.retention_fix": (
            "kafka-configs.sh --bootstrap-server {bootstrap} --alter --entity-type topics --entity-name {topic} --add-config retention.ms=-1,retention.bytes=-1",
            "kafka-configs.sh --bootstrap-server {bootstrap} --alter --entity-type topics --entity-name {topic} --add-config retention.ms=-1,retention.bytes=-1",
        ),
        "doctor.registry_keys": (
            "{topic} 抽查 {sampled} 条记录，{bad} 条不是按事实键（a、b、kind、since 的哈希）而是按旧方式（如 {example}）作键：压缩后同一主体的多条事实只剩一条",
            "{bad} of {sampled} sampled records on {topic} are not keyed by their fact (hash of a, b, kind, since) but the old way (e.g. {example}): once compacted, an entity with several facts keeps only one",
        ),
        "doctor.registry_keys_fix": (
            "运行 `witness doctor --fix`：按事实键重新发布全部登记事实（取自数据库与主题），再为旧键写入墓碑记录（见 README「登记事实的键」）",
            "run `witness doctor --fix`: it re-publishes every registry fact under its fact key (from the database and the topic), then writes tombstones for the old keys (README, 'Registry fact keys')",
        ),
        "doctor.registry_keys_ok": (
            "{topic}：抽查 {sampled} 条记录，均按事实键作键",
            "{topic}: {sampled} sampled record(s), all keyed by their fact",
        ),
        "doctor.fixed_registry": (
            "已按事实键重新发布 {republished} 条登记事实，为 {tombstoned} 个旧键写入墓碑",
            "re-published {republished} registry fact(s) under their fact keys, tombstoned {tombstoned} old key(s)",
        ),
        "doctor.db_down": (
            "无法连接数据库 {url}：{reason}",
            "cannot reach the database {url}: {reason}",
        ),
        "doctor.db_down_fix": (
            "检查 WITNESS_DATABASE_URL（例如 postgresql://witness:密码@postgres:5432/witness）、数据库已启动、账号密码正确",
            "check WITNESS_DATABASE_URL (e.g. postgresql://witness:PASSWORD@postgres:5432/witness), that the database is up and the credentials are right",
        ),
        "doctor.db_nofile": (
            "SQLite 数据库文件 {path} 不存在",
            "the SQLite database file {path} does not exist",
        ),
        "doctor.db_empty": (
            "数据库 {url} 可连接，但尚未建表（没有 Alembic 版本）",
            "database {url} is reachable but has no schema yet (no Alembic revision)",
        ),
        "doctor.db_migrate_fix": (
            "运行 `witness doctor --fix`（执行 Alembic 迁移到最新版本），或运行一次 `witness run`",
            "run `witness doctor --fix` (Alembic upgrade to head), or run `witness run` once",
        ),
        "doctor.db_old": (
            "数据库结构版本为 {current}，本程序需要 {head}",
            "the database schema is at revision {current}; this version of witness needs {head}",
        ),
        "doctor.db_new": (
            "数据库结构版本 {current} 比本程序（{head}）更新：数据库已被更新版本的 witness 迁移",
            "the database schema {current} is newer than this witness ({head}): a newer witness migrated it",
        ),
        "doctor.db_new_fix": (
            "升级 witness 到与数据库一致的版本（pip install -U witness，或使用新镜像）",
            "upgrade witness to the version that migrated the database (new image or pip install -U)",
        ),
        "doctor.db_ok": (
            "数据库 {url} 可连接，结构版本 {current} 为最新",
            "database {url} reachable, schema at the newest revision {current}",
        ),
        "doctor.fixed_topics": ("已创建主题：{names}", "created topics: {names}"),
        "doctor.fixed_db": ("已迁移数据库到 {head}", "migrated the database to {head}"),
    }
)


@dataclass
class Finding:
    """One line of the report: ok / warn / fail, what, and the fix."""

    level: str  # ok | warn | fail
    message: str
    fix: str | None = None


@dataclass
class Findings:
    items: list[Finding] = field(default_factory=list)

    def add(self, level: str, message: str, fix: str | None = None) -> None:
        self.items.append(Finding(level, message, fix))

    @property
    def failed(self) -> int:
        return sum(1 for f in self.items if f.level == "fail")


def safe_url(url: str) -> str:
    """The database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return url.split("@")[-1]


def check_broker(
    out: Findings,
    bootstrap: str | None,
    prefix: str,
    partitions: int,
    timeout_s: float,
) -> None:
    """Reachable, every DESIGN §3 topic present, partitions enough and co-partitioned."""
    from streams.topics import Topics

    if not bootstrap:
        out.add("fail", t("doctor.broker_unset"), t("doctor.broker_unset_fix"))
        return
    from kafka import KafkaAdminClient

    ms = int(timeout_s * 1000)
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            client_id="witness-doctor",
            request_timeout_ms=ms,
            bootstrap_timeout_ms=ms,
            reconnect_backoff_max_ms=1000,
        )
    except Exception as exc:  # noqa: BLE001 - any failure here means "unreachable"
        out.add(
            "fail",
            t("doctor.broker_down", bootstrap=bootstrap, seconds=timeout_s, reason=exc),
            t("doctor.broker_down_fix"),
        )
        return
    try:
        try:
            brokers = len(admin.describe_cluster().get("brokers", []))
        except Exception:  # noqa: BLE001 - not every broker answers DescribeCluster
            brokers = "?"
        out.add("ok", t("doctor.broker_up", bootstrap=bootstrap, brokers=brokers))
        topics = Topics(prefix=prefix)
        existing = set(admin.list_topics())
        present = [name for name in topics.all() if name in existing]
        counts: dict[str, int] = {}
        if present:
            for d in admin.describe_topics(present):
                counts[d.get("name") or d.get("topic")] = len(d.get("partitions") or [])
        for name in topics.all():
            if name not in existing:
                out.add(
                    "fail",
                    t("doctor.topic_missing", topic=name),
                    t("doctor.topic_missing_fix", partitions=partitions),
                )
                continue
            n = counts.get(name, 0)
            if n < partitions and name not in (topics.registry, topics.deadletter):
                out.add(
                    "warn",
                    t("doctor.topic_few", topic=name, partitions=n, wanted=partitions),
                    t("doctor.topic_few_fix", bootstrap=bootstrap, topic=name, wanted=partitions),
                )
            else:
                out.add("ok", t("doctor.topic_ok", topic=name, partitions=n))
        compacted = sorted(name for name in topics.compacted() if name in existing)
        for name, configs in topic_configs(admin, compacted).items():
            policy = configs.get("cleanup.policy")
            if policy is not None and "compact" not in policy:
                out.add(
                    "fail",
                    t("doctor.not_compacted", topic=name, policy=policy),
                    t("doctor.not_compacted_fix", bootstrap=bootstrap, topic=name),
                )
        for name in sorted(topics.kept_whole() & existing):
            check_retention(out, admin, bootstrap, name)
        if topics.registry in existing:
            check_registry_keys(out, bootstrap, topics)
        a, b = counts.get(topics.frames), counts.get(topics.sessions)
        if a is not None and b is not None and a != b:
            out.add(
                "fail",
                t("doctor.copartition", frames=topics.frames, sessions=topics.sessions, a=a, b=b),
                t("doctor.copartition_fix", bootstrap=bootstrap, n=max(a, b)),
            )
    except Exception as exc:  # noqa: BLE001
        out.add(
            "fail",
            t("doctor.broker_down", bootstrap=bootstrap, seconds=timeout_s, reason=exc),
            t("doctor.broker_down_fix"),
        )
    finally:
        admin.close()


def topic_configs(admin, names: list[str]) -> dict[str, dict[str, str]]:
    """Each topic's configuration, where the broker reports it (not every broker does)."""
    if not names:
        return {}
    from kafka.admin import ConfigResource, ConfigResourceType

    try:
        result = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n) for n in names], config_filter="all"
        )
    except Exception:  # noqa: BLE001 - an old or minimal broker: nothing to check
        return {}
    out: dict[str, dict[str, str]] = {}
    for name, configs in (result.get("topic") or {}).items():
        values = out.setdefault(name, {})
        for key, entry in (configs or {}).items():
            value = entry.get("value") if isinstance(entry, dict) else entry
            if value is not None:
                values[key] = str(value)
    return out


def check_retention(out: Findings, admin, bootstrap: str, topic: str) -> None:
    """`witness.events` and `witness.sessions` keep everything: workers rebuild state
    from their start (streams/topics.py `kept_whole`)."""
    configs = topic_configs(admin, [topic]).get(topic, {})
    policy = configs.get("cleanup.policy")
    if policy is not None and "compact" in policy:
        out.add(
            "fail",
            t("doctor.compacted_log", topic=topic, policy=policy),
            t("doctor.compacted_log_fix", bootstrap=bootstrap, topic=topic),
        )
    for setting in ("retention.ms", "retention.bytes"):
        value = configs.get(setting)
        if value is not None and int(value) >= 0:
            out.add(
                "fail",
                t("doctor.retention", topic=topic, setting=setting, value=value),
                t("doctor.retention_fix", bootstrap=bootstrap, topic=topic),
            )


def check_registry_keys(out: Findings, bootstrap: str, topics) -> None:
    """A sample of the registry topic must be keyed by fact, or compaction drops facts."""
    from streams.registry_keys import sample_keys

    sample = sample_keys(bootstrap, topics)
    if sample.misskeyed:
        out.add(
            "warn",
            t(
                "doctor.registry_keys",
                topic=topics.registry,
                sampled=sample.sampled,
                bad=sample.misskeyed,
                example=sample.example,
            ),
            t("doctor.registry_keys_fix"),
        )
    elif sample.sampled:
        out.add("ok", t("doctor.registry_keys_ok", topic=topics.registry, sampled=sample.sampled))


def check_database(out: Findings, url: str, timeout_s: float) -> None:
    """Reachable, and the Alembic revision is this code's head."""
    from sqlalchemy import create_engine, text

    from witness.store.migrate import current_revision, head_revision

    shown = safe_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not Path(path).exists():
            out.add("fail", t("doctor.db_nofile", path=path), t("doctor.db_migrate_fix"))
            return
        engine = create_engine(url)
    else:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg2://" + url[len("postgresql://") :]
        args = {"connect_timeout": max(1, int(timeout_s))} if "psycopg2" in url else {}
        engine = create_engine(url, connect_args=args)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = current_revision(engine)
    except Exception as exc:  # noqa: BLE001
        reason = str(exc).strip().splitlines()[0][:200]
        out.add("fail", t("doctor.db_down", url=shown, reason=reason), t("doctor.db_down_fix"))
        return
    finally:
        engine.dispose()
    head = head_revision()
    if current is None:
        out.add("fail", t("doctor.db_empty", url=shown), t("doctor.db_migrate_fix"))
    elif current != head:
        from alembic.script import ScriptDirectory

        from witness.store.migrate import alembic_config

        known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if current in known:
            out.add(
                "fail", t("doctor.db_old", current=current, head=head), t("doctor.db_migrate_fix")
            )
        else:
            out.add("fail", t("doctor.db_new", current=current, head=head), t("doctor.db_new_fix"))
    else:
        out.add("ok", t("doctor.db_ok", url=shown, current=current))
        from witness.commands.doctor_services import check_services
        from witness.store.store import make_engine

        engine = make_engine(url)
        try:
            check_services(out, engine)
        except Exception as exc:  # noqa: BLE001 - the database answered a moment ago
            reason = str(exc).strip().splitlines()[0][:200]
            out.add("fail", t("doctor.db_down", url=shown, reason=reason), t("doctor.db_down_fix"))
        finally:
            engine.dispose()


def apply_fixes(settings, timeout_s: float) -> list[str]:
    """Create missing topics, migrate the database, re-key the registry; say what was done."""
    done: list[str] = []
    if settings.kafka_bootstrap:
        from streams.bus import ensure_topics
        from streams.topics import Topics

        try:
            created = ensure_topics(
                settings.kafka_bootstrap,
                Topics(prefix=settings.topic_prefix),
                partitions=settings.partitions,
            )
            if created:
                done.append(t("doctor.fixed_topics", names=", ".join(created)))
        except Exception:  # noqa: BLE001 - the check that follows says what is wrong
            pass
    try:
        from witness.store.migrate import head_revision, upgrade
        from witness.store.store import make_engine

        engine = make_engine(settings.database_url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        done.append(t("doctor.fixed_db", head=head_revision()))
    except Exception:  # noqa: BLE001
        pass
    if settings.kafka_bootstrap:
        try:  # after the migration: the facts the store recorded are re-published too
            report = rekey_from(settings)
            if report.republished or report.tombstoned:
                done.append(
                    t(
                        "doctor.fixed_registry",
                        republished=report.republished,
                        tombstoned=report.tombstoned,
                    )
                )
        except Exception:  # noqa: BLE001 - the check that follows says what is wrong
            pass
    return done


def rekey_from(settings):
    """Re-key the registry topic if a sample shows old keys; facts from the store too."""
    from streams.registry_keys import RekeyReport, rekey_registry, sample_keys
    from streams.topics import Topics

    topics = Topics(prefix=settings.topic_prefix)
    if not sample_keys(settings.kafka_bootstrap, topics).misskeyed:
        return RekeyReport()
    stored = []
    try:
        from witness.store import Store

        store = Store(settings.database_url, migrate=False)
        try:
            stored = store.events("*", types=["registry.relation"])
        finally:
            store.close()
    except Exception:  # noqa: BLE001 - no database: the topic's facts are re-keyed alone
        stored = []
    return rekey_registry(settings.kafka_bootstrap, topics, stored)


register(
    {
        "help.doctor.fix": (
            "先创建缺失的主题（分区数取 WITNESS_PARTITIONS）、把按旧方式作键的登记事实按事实键重新发布、迁移数据库，再检查",
            "create missing topics (WITNESS_PARTITIONS partitions), re-key registry facts published the old way, and migrate the database first",
        ),
        "help.doctor.timeout": (
            "等待消息代理和数据库的秒数（默认 5）",
            "how long to wait for the broker and database (default 5)",
        ),
        "epilog.doctor": (
            "示例：\n"
            "  witness doctor                 # 退出码 0 = 正常，1 = 有问题\n"
            "  witness doctor --fix           # 先创建主题并迁移数据库，再检查\n"
            "  docker compose run --rm init   # 在 compose 部署中做同样的事\n"
            "\n"
            "读取 WITNESS_KAFKA_BOOTSTRAP、WITNESS_DATABASE_URL、WITNESS_PARTITIONS、WITNESS_TOPIC_PREFIX",
            "examples:\n"
            "  witness doctor                 # exit 0 = healthy, 1 = something is wrong\n"
            "  witness doctor --fix           # create topics + migrate, then check\n"
            "  docker compose run --rm init   # the same, inside the compose deployment\n"
            "\n"
            "reads WITNESS_KAFKA_BOOTSTRAP, WITNESS_DATABASE_URL, WITNESS_PARTITIONS, WITNESS_TOPIC_PREFIX",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fix", action="store_true", help=t("help.doctor.fix"))
    p.add_argument(
        "--timeout",
        type=positive_number,
        default=5.0,
        metavar="SECONDS",
        help=t("help.doctor.timeout"),
    )
    p.epilog = t("epilog.doctor")


def run(args: argparse.Namespace) -> int:
    from witness.commands.common import load_settings

    out = Findings()
    try:
        settings = load_settings()
    except (ValueError, FileNotFoundError) as exc:
        out.add("fail", t("doctor.config", reason=exc), t("doctor.config_fix"))
        _print(out)
        return 1
    if args.fix:
        for line in apply_fixes(settings, args.timeout):
            print(f"* {line}")
    check_broker(
        out, settings.kafka_bootstrap, settings.topic_prefix, settings.partitions, args.timeout
    )
    check_database(out, settings.database_url, args.timeout)
    _print(out)
    return 1 if out.failed else 0


def _print(out: Findings) -> None:
    marks = {"ok": "✔", "warn": "!", "fail": "✘"}
    for f in out.items:
        print(f"{marks[f.level]} [{t('doctor.' + f.level)}] {f.message}")
        if f.fix and f.level != "ok":
            print(f"    {t('doctor.fix', fix=f.fix)}")
    if out.failed:
        print(t("doctor.summary_fail", n=out.failed))
    else:
        print(t("doctor.summary_ok"))
    sys.stdout.flush()
