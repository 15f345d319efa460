"""enrollment revision: the person's own changes in their calendar entry's SEQUENCE

Revision ID: c4d1e2f3a5b6
Revises: b2170c0d6090
Create Date: 2026-11-26 15:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = "c4d1e2f3a5b6"
down_revision = "b2170c0d6090"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrollment") as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("enrollment") as batch_op:
        batch_op.drop_column("revision")
