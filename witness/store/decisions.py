"""Officer decisions: a status change on an alert, logged and hash-chained with who and why.

The alert's status is re-read under the chain's lock, in the same transaction that appends
the decision, so two officers (or one double click) deciding at once give one decision and
one clear refusal, never two links or a fork; a conflict with the recorder is retried.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from witness.errors import WitnessError
from witness.events import canonical_json
from witness.i18n import register, t
from witness.store.chains import ChainWriter, in_write_transaction
from witness.store.models import AlertRow, Decision, utcnow

#: Allowed officer actions: action -> (statuses it may follow, status after).
ACTIONS = {
    "acknowledge": ({"open"}, "acknowledged"),
    "refer": ({"open", "acknowledged"}, "referred"),
    "dismiss": ({"open", "acknowledged"}, "dismissed"),
}

register(
    {
        "decision.unknown_action": (
            "未知操作 {action}；可用：{choices}",
            "unknown action {action}; use one of {choices}",
        ),
        "decision.need_reason": ("排除告警须填写理由", "dismissing an alert needs a reason"),
        "decision.need_actor": ("决定须注明见证人员", "a decision needs the officer's name"),
        "decision.no_alert": ("告警 {alert} 不存在", "no alert {alert}"),
        "decision.wrong_status": (
            "该告警已是“{status}”，不能再{action}（可能已由他人处理，请刷新查看）",
            "cannot {action} an alert that is {status} (someone may have decided it already)",
        ),
        "decision.action.acknowledge": ("确认", "acknowledge"),
        "decision.action.refer": ("移交", "refer"),
        "decision.action.dismiss": ("排除", "dismiss"),
    }
)


class DecisionError(WitnessError, ValueError):
    """A decision that is not allowed (wrong status, missing reason, unknown alert).

    `str()` is the English text for logs; `describe()` speaks the reader's language.
    """

    def __init__(self, key: str, **params: str) -> None:
        self.key, self.params = key, params
        super().__init__(t(key, "en", **params))

    def describe(self, locale: str | None = None) -> str:
        params = dict(self.params)
        if "action" in params:
            params["action"] = t(f"decision.action.{params['action']}", locale)
        if "status" in params:
            params["status"] = t(f"status.{params['status']}", locale)
        return t(self.key, locale, **params)

    def __str__(self) -> str:
        return self.message


def chain_of_alert(project_id: str) -> str:
    """The chain an alert's versions and decisions live on."""
    return project_id if project_id != "*" else "alerts/*"


def decide(
    engine: Engine, alert_id: str, action: str, actor: str, reason: str | None = None
) -> Decision:
    """Log an officer's decision and move the alert's status, exactly once."""
    if action not in ACTIONS:
        raise DecisionError("decision.unknown_action", action=action, choices=", ".join(ACTIONS))
    allowed_from, status_after = ACTIONS[action]
    if action == "dismiss" and not (reason and reason.strip()):
        raise DecisionError("decision.need_reason")
    if not actor:
        raise DecisionError("decision.need_actor")
    with Session(engine) as s:  # where to lock; the status is checked again under the lock
        row = s.get(AlertRow, alert_id)
        if row is None:
            raise DecisionError("decision.no_alert", alert=alert_id)
        chain = chain_of_alert(row.project_id)

    def work(s: Session) -> Decision:
        links = ChainWriter(s, [chain])
        row = s.get(AlertRow, alert_id, with_for_update=True, populate_existing=True)
        if row is None:
            raise DecisionError("decision.no_alert", alert=alert_id)
        if row.status not in allowed_from:
            raise DecisionError("decision.wrong_status", action=action, status=row.status)
        at = utcnow()
        decision = Decision(
            alert_id=alert_id,
            action=action,
            status_after=status_after,
            actor=actor,
            reason=reason,
            at=at,
        )
        s.add(decision)
        s.flush()
        body = canonical_json(
            {
                "decision_id": decision.id,
                "alert_id": alert_id,
                "action": action,
                "status_after": status_after,
                "actor": actor,
                "reason": reason,
                "at": at.isoformat(),
            }
        )
        links.append(chain, "decision", f"decision:{decision.id}", body)
        links.flush()
        row.status = status_after
        row.updated_at = at
        s.add(row)
        return decision

    return in_write_transaction(engine, work)
