"""Broadcasts and outage alerts: councillors, broadcasts, their wards; messages become delivery rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:14:56.515183
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('councillors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_pins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_councillors_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_councillors_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_councillors')),
    sa.UniqueConstraint('municipality_id', 'phone', name=op.f('uq_councillors_municipality_id_phone'))
    )
    with op.batch_alter_table('councillors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_councillors_phone'), ['phone'], unique=False)

    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('councillor_id', sa.Integer(), nullable=True),
    sa.Column('outage_id', sa.Integer(), nullable=True),
    sa.Column('follows_id', sa.Integer(), nullable=True),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('source_key', sa.String(length=120), nullable=True),
    sa.Column('confirm_code', sa.String(length=200), nullable=True),
    sa.Column('confirm_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fanout_cursor', sa.Integer(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('wrong_codes', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['councillor_id'], ['councillors.id'], name=op.f('fk_broadcasts_councillor_id_councillors'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['follows_id'], ['broadcasts.id'], name=op.f('fk_broadcasts_follows_id_broadcasts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_broadcasts_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outage_id'], ['outages.id'], name=op.f('fk_broadcasts_outage_id_outages'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts')),
    sa.UniqueConstraint('source_key', name=op.f('uq_broadcasts_source_key'))
    )
    op.create_table('broadcast_wards',
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_broadcast_wards_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_broadcast_wards_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('broadcast_id', 'ward_id', name=op.f('pk_broadcast_wards'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('broadcast_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_messages_broadcast_active', ['broadcast_id', 'id'], unique=False, postgresql_where=sa.text("status IN ('queued', 'sending')"), sqlite_where=sa.text("status IN ('queued', 'sending')"))
        batch_op.create_unique_constraint(batch_op.f('uq_messages_broadcast_id_resident_id'), ['broadcast_id', 'resident_id'])
        batch_op.create_foreign_key(batch_op.f('fk_messages_broadcast_id_broadcasts'), 'broadcasts', ['broadcast_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_messages_broadcast_id_broadcasts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_messages_broadcast_id_resident_id'), type_='unique')
        batch_op.drop_index('ix_messages_broadcast_active', postgresql_where=sa.text("status IN ('queued', 'sending')"), sqlite_where=sa.text("status IN ('queued', 'sending')"))
        batch_op.drop_column('broadcast_id')

    op.drop_table('broadcast_wards')
    op.drop_table('broadcasts')
    with op.batch_alter_table('councillors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_councillors_phone'))

    op.drop_table('councillors')
