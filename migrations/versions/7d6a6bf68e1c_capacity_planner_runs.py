"""Capacity planner runs: queued from the figures menu, run by the scheduler's job

capacity_plans: the board and grid asked for, the status, the claim (token and lease: a
worker that dies leaves a lease that runs out and the row is taken over), and the result.

Revision ID: 7d6a6bf68e1c
Revises: b3e1c7a9d204
Create Date: 2026-12-05 22:55:00.000000

"""
from alembic import op
import sqlalchemy as sa

import telemed.core.types


# revision identifiers, used by Alembic.
revision = '7d6a6bf68e1c'
down_revision = 'b3e1c7a9d204'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('capacity_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board', sa.String(length=120), nullable=False),
    sa.Column('grid', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='planstatus', native_enum=False, length=32), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', telemed.core.types.UTCDateTime(), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('lease_until', telemed.core.types.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('finished_at', telemed.core.types.UTCDateTime(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_capacity_plans_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capacity_plans'))
    )
    with op.batch_alter_table('capacity_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capacity_plans_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('capacity_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capacity_plans_status'))
    op.drop_table('capacity_plans')
