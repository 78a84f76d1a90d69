"""detector state: per-partition snapshots (chunked) and released archived projects

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "detector_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("namespace", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("offsets", sa.JSON(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_snapshots_unit", "detector_snapshots", ["namespace", "unit", "id"])
    op.create_table(
        "detector_snapshot_chunks",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["snapshot_id"], ["detector_snapshots.id"]),
        sa.PrimaryKeyConstraint("snapshot_id", "seq"),
    )
    op.create_table(
        "released_projects",
        sa.Column("namespace", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("project_id", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("released_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "project_id"),
    )


def downgrade() -> None:
    op.drop_table("released_projects")
    op.drop_table("detector_snapshot_chunks")
    op.drop_index("ix_snapshots_unit", table_name="detector_snapshots")
    op.drop_table("detector_snapshots")
