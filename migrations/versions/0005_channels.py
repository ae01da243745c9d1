"""Channels: a municipality names the channel its SMS go out through; messages, inbound
messages and delivery reports record theirs; provider ids are unique per channel.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 20:10:00
"""

from alembic import context, op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

DEFAULT = 'africastalking'
"""The default channel's name: every existing row came through it."""


def upgrade() -> None:
    with op.batch_alter_table('municipalities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=32), nullable=True))

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=32), nullable=True))
    # Rows that reached a sender went out through the default channel.
    op.execute(sa.text("UPDATE messages SET channel = :c "
                       "WHERE status NOT IN ('queued', 'suppressed', 'dropped')").bindparams(c=DEFAULT))
    _refuse_duplicate_provider_ids()
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_provider_message_id')
        batch_op.create_unique_constraint(batch_op.f('uq_messages_channel_provider_message_id'),
                                          ['channel', 'provider_message_id'])

    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=32), server_default=DEFAULT, nullable=False))
        batch_op.drop_constraint('uq_inbound_messages_provider_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_inbound_messages_channel_provider_id'),
                                          ['channel', 'provider_id'])

    with op.batch_alter_table('delivery_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=32), server_default=DEFAULT, nullable=False))


def _refuse_duplicate_provider_ids() -> None:
    """Provider message ids become unique per channel: two rows of the default channel with
    the same id would break the constraint. Say so plainly instead of failing half-way."""
    if context.is_offline_mode():
        return
    rows = op.get_bind().execute(sa.text(
        "SELECT provider_message_id, COUNT(*) FROM messages WHERE provider_message_id IS NOT NULL "
        "GROUP BY provider_message_id HAVING COUNT(*) > 1")).fetchall()
    if rows:
        sample = ", ".join(f"{pid!r} x{count}" for pid, count in rows[:5])
        raise RuntimeError(
            f"messages share provider message ids ({sample}); provider ids become unique per "
            "channel in this migration: clear the duplicates' provider_message_id, then upgrade again")


def downgrade() -> None:
    with op.batch_alter_table('delivery_reports', schema=None) as batch_op:
        batch_op.drop_column('channel')

    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_inbound_messages_channel_provider_id'), type_='unique')
        batch_op.create_unique_constraint('uq_inbound_messages_provider_id', ['provider_id'])
        batch_op.drop_column('channel')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_messages_channel_provider_message_id'), type_='unique')
        batch_op.create_index('ix_messages_provider_message_id', ['provider_message_id'], unique=False)
        batch_op.drop_column('channel')

    with op.batch_alter_table('municipalities', schema=None) as batch_op:
        batch_op.drop_column('channel')
