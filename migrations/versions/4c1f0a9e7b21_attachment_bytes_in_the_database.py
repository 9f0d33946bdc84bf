"""Attachment bytes in the database (TELEMED_ATTACHMENT_STORE=database)

One row per content, keyed by its SHA-256, so that every web server serves every file. On
PostgreSQL the bytes are kept out of line and uncompressed (STORAGE EXTERNAL): PDFs and
images do not compress, and a download then reads each chunk without inflating the whole
value first.

Downgrading drops the bytes kept there: move them to a folder first
(flask attachments migrate --to local).

Revision ID: 4c1f0a9e7b21
Revises: 30895d159034
Create Date: 2026-12-12 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import telemed.core.types


# revision identifiers, used by Alembic.
revision = '4c1f0a9e7b21'
down_revision = '30895d159034'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachment_blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', telemed.core.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_attachment_blobs'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE attachment_blobs ALTER COLUMN content SET STORAGE EXTERNAL')


def downgrade():
    op.drop_table('attachment_blobs')
