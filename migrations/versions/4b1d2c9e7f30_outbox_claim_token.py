"""Outbox: a random token per claim, so only the run that holds a message records its send

Revision ID: 4b1d2c9e7f30
Revises: 4c1f0a9e7b21
Create Date: 2026-12-12 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b1d2c9e7f30'
down_revision = '4c1f0a9e7b21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('claim_token')
