"""face recognition tables: exclusions, per-user recognition lock, too_small

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faces") as batch_op:
        batch_op.add_column(
            sa.Column(
                "too_small",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )

    op.create_table(
        "person_exclusions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("face_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_person_exclusions_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_person_exclusions_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["face_id"],
            ["faces.id"],
            name=op.f("fk_person_exclusions_face_id_faces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_exclusions")),
        sa.UniqueConstraint(
            "person_id", "face_id", name=op.f("uq_person_exclusions_person_id_face_id")
        ),
    )
    op.create_index(
        op.f("ix_person_exclusions_owner_id"), "person_exclusions", ["owner_id"]
    )

    op.create_table(
        "recognition_locks",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_recognition_locks_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_recognition_locks")),
    )


def downgrade() -> None:
    op.drop_table("recognition_locks")
    op.drop_index(op.f("ix_person_exclusions_owner_id"), table_name="person_exclusions")
    op.drop_table("person_exclusions")
    with op.batch_alter_table("faces") as batch_op:
        batch_op.drop_column("too_small")
