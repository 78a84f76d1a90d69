"""Consumer lag per partition, for the ops page and `witness tail --lag`.

With the embedded broker (Tansu) the end offset is the last batch's base offset + 1, so
lag reads low while producers batch; Apache Kafka reports it exactly.
"""

from __future__ import annotations

from kafka import KafkaConsumer

from witness.store.models import ConsumerLag, utcnow

LAG_NOTE = {
    "zh-CN": "注：内置代理（Tansu）以最后一批消息的起始偏移+1 作为末尾偏移，生产端批量发送时积压数偏低；Apache Kafka 为精确值。",
    "en": "Note: the embedded broker (Tansu) reports a partition's end offset as its last batch's base offset + 1, so lag reads low while producers batch; Apache Kafka is exact.",
}


def lag_rows(consumer: KafkaConsumer, group_id: str) -> list[ConsumerLag]:
    assigned = list(consumer.assignment())
    if not assigned:
        return []
    ends = consumer.end_offsets(assigned)
    rows = []
    for tp in assigned:
        pos = consumer.position(tp)
        end = ends.get(tp, pos) or 0
        rows.append(
            ConsumerLag(
                group_id=group_id,
                topic=tp.topic,
                partition=tp.partition,
                position=pos,
                end_offset=end,
                lag=max(0, end - pos),
                updated_at=utcnow(),
            )
        )
    return rows
