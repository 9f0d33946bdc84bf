"""Each scheduler job's last success in its own table (job_runs), not in the lease table

Revision ID: 5a7c3e9d1b42
Revises: 4b1d2c9e7f30
Create Date: 2026-12-05 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import telemed.core.types


# revision identifiers, used by Alembic.
revision = '5a7c3e9d1b42'
down_revision = '4b1d2c9e7f30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_runs',
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('last_success_at', telemed.core.types.UTCDateTime(), nullable=False),
        sa.Column('holder', sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_job_runs')),
    )


def downgrade():
    op.drop_table('job_runs')
