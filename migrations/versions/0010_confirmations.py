"""Duplicate reports: a `confirmed` ticket event (a resident reported the same fault again
and follows the ticket), and an index for "is this already reported?" on the report path.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00
"""

from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

KINDS = ('created', 'state', 'public_note', 'internal_note', 'assigned', 'merged', 'escalated')
"""`ticket_events.kind` at 0008."""
NEW_KINDS = (*KINDS, 'confirmed')
"""`ticket_events.kind` from this revision on."""
CHECKS = {'ticket_events': {'kind': NEW_KINDS}}
"""The closed sets this revision changes (`ck_<table>_<column>`), as they stand here."""


def _condition(values: tuple[str, ...]) -> str:
    # The same text SQLAlchemy renders for the models' Enum columns.
    return f"kind IN ({', '.join(repr(v) for v in values)})"


def _replace_kinds(values: tuple[str, ...]) -> None:
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ticket_events_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ticket_events_kind'), _condition(values))


def upgrade() -> None:
    _replace_kinds(NEW_KINDS)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_similar', ['municipality_id', 'ward_id', 'category_id', 'created_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_similar')
    # Confirmations go back to what 0008 knew: a note by whoever confirmed.
    op.execute("UPDATE ticket_events SET kind = 'internal_note' WHERE kind = 'confirmed'")
    _replace_kinds(KINDS)
