"""create library tables

Revision ID: 0001
Revises:
Create Date: 2026-12-04 16:33:21.636518
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "media",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("skip_faces", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "visible",
                "complete",
                "failed",
                name="media_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_media_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint(
            "owner_id", "content_hash", name=op.f("uq_media_owner_id_content_hash")
        ),
    )
    op.create_index(op.f("ix_media_owner_id"), "media", ["owner_id"])

    op.create_table(
        "people",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("cover_face_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_people_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_index(op.f("ix_people_owner_id"), "people", ["owner_id"])

    op.create_table(
        "media_assets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("media_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "original",
                "main_video",
                "poster",
                "animated_poster",
                "thumbnail",
                "face_crop",
                name="asset_type",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("time_code_seconds", sa.Float(), nullable=True),
        sa.Column("byte_size", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
            name=op.f("fk_media_assets_media_id_media"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_assets")),
    )
    op.create_index(op.f("ix_media_assets_media_id"), "media_assets", ["media_id"])

    op.create_table(
        "media_stages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("media_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=100), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
            name=op.f("fk_media_stages_media_id_media"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_stages")),
        sa.UniqueConstraint(
            "media_id", "stage", name=op.f("uq_media_stages_media_id_stage")
        ),
    )
    op.create_index(op.f("ix_media_stages_media_id"), "media_stages", ["media_id"])

    op.create_table(
        "faces",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("media_id", sa.Uuid(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("time_seconds", sa.Float(), nullable=False),
        sa.Column("box_x", sa.Float(), nullable=False),
        sa.Column("box_y", sa.Float(), nullable=False),
        sa.Column("box_w", sa.Float(), nullable=False),
        sa.Column("box_h", sa.Float(), nullable=False),
        sa.Column("landmarks", sa.JSON(), nullable=True),
        sa.Column("detection_score", sa.Float(), nullable=True),
        sa.Column("quality", sa.Float(), nullable=True),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("embedding_model", sa.String(length=100), nullable=True),
        sa.Column(
            "recognition",
            sa.Enum(
                "new_face",
                "machine_recognized",
                "human_recognized",
                "not_face",
                "bad_face",
                "two_face",
                name="recognition_result",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("recognition_confidence", sa.Float(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("crop_asset_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["crop_asset_id"],
            ["media_assets.id"],
            name=op.f("fk_faces_crop_asset_id_media_assets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
            name=op.f("fk_faces_media_id_media"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_faces_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_faces_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faces")),
    )
    op.create_index(op.f("ix_faces_media_id"), "faces", ["media_id"])
    op.create_index(op.f("ix_faces_owner_id"), "faces", ["owner_id"])
    op.create_index(op.f("ix_faces_person_id"), "faces", ["person_id"])

    # people.cover_face_id and faces.person_id reference each other, so the
    # cover key is added once both tables exist (batch mode rebuilds the
    # table on SQLite, which cannot add a constraint in place).
    with op.batch_alter_table("people") as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_people_cover_face_id_faces"),
            "faces",
            ["cover_face_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("people") as batch_op:
        batch_op.drop_constraint(
            op.f("fk_people_cover_face_id_faces"), type_="foreignkey"
        )
    op.drop_index(op.f("ix_faces_person_id"), table_name="faces")
    op.drop_index(op.f("ix_faces_owner_id"), table_name="faces")
    op.drop_index(op.f("ix_faces_media_id"), table_name="faces")

    op.drop_table("faces")
    op.drop_index(op.f("ix_media_stages_media_id"), table_name="media_stages")

    op.drop_table("media_stages")
    op.drop_index(op.f("ix_media_assets_media_id"), table_name="media_assets")

    op.drop_table("media_assets")
    op.drop_index(op.f("ix_people_owner_id"), table_name="people")

    op.drop_table("people")
    op.drop_index(op.f("ix_media_owner_id"), table_name="media")

    op.drop_table("media")
    op.drop_table("users")
