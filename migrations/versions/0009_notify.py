"""The citizen hears back: ticket updates in the outbox (purpose `ticket_update`) and the
"Is it fixed?" questions asked when a ticket is resolved (`ticket_questions`).

The downgrade stops, naming the rows, when a `ticket_update` SMS exists: 0008 has no word
for it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-12 09:00:00
"""

from alembic import context, op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


CHECKS = {
    'messages': {
        'purpose': ('reply', 'ticket', 'broadcast', 'alert', 'escalation', 'ticket_update'),
    },
    'ticket_questions': {
        'answer': ('yes', 'no'),
        'closed_reason': ('answered', 'unconfirmed', 'moved_on'),
    },
}
"""The closed sets this revision adds or changes (`ck_<table>_<column>`), written out as
they stand here (a later change of `app.vocabulary` is a later migration)."""

OLD_CHECKS = {'messages': {'purpose': ('reply', 'ticket', 'broadcast', 'alert', 'escalation')}}
"""The same columns at 0008, for the downgrade."""


def _condition(column: str, values: tuple[str, ...]) -> str:
    # The same text SQLAlchemy renders for the models' Enum columns.
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _replace_checks(table: str, before: dict, after: dict) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in before:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_{column}'), type_='check')
        for column, values in after.items():
            batch_op.create_check_constraint(batch_op.f(f'ck_{table}_{column}'), _condition(column, values))


def upgrade() -> None:
    _replace_checks('messages', OLD_CHECKS['messages'], CHECKS['messages'])
    op.create_table('ticket_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.String(length=8), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('closed_reason', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_questions_ticket_id_tickets'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_questions')),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 5', name=op.f('ck_ticket_questions_rating_range')),
    *[sa.CheckConstraint(_condition(column, values), name=op.f(f'ck_ticket_questions_{column}'))
      for column, values in CHECKS['ticket_questions'].items()]
    )
    with op.batch_alter_table('ticket_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_questions_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index('ix_ticket_questions_phone_open', ['phone', 'closed_reason'], unique=False)


def _refuse_untranslatable() -> None:
    if context.is_offline_mode():
        return
    count = op.get_bind().execute(
        sa.text("SELECT COUNT(*) FROM messages WHERE purpose = 'ticket_update'")).scalar()
    if count:
        raise RuntimeError(f"0009 downgrade: messages.purpose = 'ticket_update' ({count} rows) cannot be "
                           "stored by revision 0008. Delete or change them, then downgrade again.")


def downgrade() -> None:
    _refuse_untranslatable()
    # pysqlite opens its transaction at the first DML, not at DDL: open it here, so that a
    # downgrade refused by an older revision further down rolls this drop back too.
    op.execute("DELETE FROM ticket_questions WHERE 1 = 0")
    with op.batch_alter_table('ticket_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_questions_phone_open')
        batch_op.drop_index(batch_op.f('ix_ticket_questions_ticket_id'))
    op.drop_table('ticket_questions')
    _replace_checks('messages', CHECKS['messages'], OLD_CHECKS['messages'])
