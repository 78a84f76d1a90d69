"""delivery under faults: dead letters say which step refused them; service health

Revision ID: 0003
Revises: 0002

- dead_letters.stage: "" (the contract), "detector:NAME", "store" or "publish:..."; one
  record may be refused by several steps, so the stage joins the origin in the unique key.
- service_health: the recorder (and any long-running service) reports ok / degraded /
  stopped / failed here, for the ops page and `witness doctor`.
- The id columns already have the contract's MAX_ID_CHARS (256) and the chain and ref
  columns MAX_ID_CHARS + 44 (300); witness/store/models.py now derives them from the
  contract, and tests/store/test_store_bounds.py holds migrations, models and contract together.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "stage",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )
        batch_op.drop_constraint("uq_deadletter_origin", type_="unique")
        batch_op.create_unique_constraint(
            "uq_deadletter_origin", ["topic", "partition", "offset", "stage"]
        )
    op.create_table(
        "service_health",
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("instance", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("service", "instance"),
    )


def downgrade() -> None:
    op.drop_table("service_health")
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.drop_constraint("uq_deadletter_origin", type_="unique")
        batch_op.create_unique_constraint("uq_deadletter_origin", ["topic", "partition", "offset"])
        batch_op.drop_column("stage")
