"""Data versions: the figures' counter row joins a table with one row per counter (the
private calendar feeds' tags are the second)

Revision ID: a51c0d7e9b42
Revises: db9a1e06fca3
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a51c0d7e9b42'
down_revision = 'db9a1e06fca3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_versions'))
    )
    # Row 1 keeps the figures' version (answers stored under it stay valid); the other
    # counters' rows are made by their first raise (telemed/core/versions.py).
    op.execute("INSERT INTO data_versions (id, value) SELECT id, value FROM stats_version")
    op.drop_table('stats_version')


def downgrade():
    op.create_table('stats_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_version'))
    )
    op.execute("INSERT INTO stats_version (id, value) SELECT id, value FROM data_versions WHERE id = 1")
    op.drop_table('data_versions')
