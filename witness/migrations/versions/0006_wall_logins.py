"""wall sign-in sessions (a reload or a deep link keeps the session)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wall_logins",
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["users.username"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("wall_logins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wall_logins_username"), ["username"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wall_logins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wall_logins_username"))
    op.drop_table("wall_logins")
