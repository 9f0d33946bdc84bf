"""Lists: the case list by status and id, the session list by start and id (keyset pages)

Each composite index replaces the single-column one it begins with (cases.status,
board_sessions.starts_at), which it serves as well.

Revision ID: b3e1c7a9d204
Revises: 4b5f63ab3b48
Create Date: 2026-12-05 22:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3e1c7a9d204'
down_revision = '4b5f63ab3b48'
branch_labels = None
depends_on = None


def upgrade():
    # The new index first: the lists are never without one.
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_status_case', ['status', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_cases_status'))

    with op.batch_alter_table('board_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_board_sessions_start_id', ['starts_at', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_board_sessions_starts_at'))


def downgrade():
    with op.batch_alter_table('board_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_sessions_starts_at'), ['starts_at'], unique=False)
        batch_op.drop_index('ix_board_sessions_start_id')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_status'), ['status'], unique=False)
        batch_op.drop_index('ix_cases_status_case')
