"""Typed vocabulary: a named CHECK constraint on every column holding a closed set of values.

Rows holding a value outside its set stop the upgrade with a message naming the table, the
column, the values and their row counts (nothing is mapped or changed silently: no legacy
values are known, so one found is a hand edit that someone has to look at).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:02:11.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


# The sets as they stand at this revision (a later change of `app.vocabulary` is a later
# migration, so they are written out here rather than imported).
CHECKS = {
    'service_codes': {'channel': ('ussd', 'sms')},
    'tickets': {
        'status': ('open', 'assigned', 'in_progress', 'resolved', 'closed'),
        'source': ('ussd', 'sms'),
    },
    'outages': {'status': ('planned', 'active', 'restored')},
    'inbound_messages': {'status': ('received', 'processed', 'rejected', 'failed')},
    'messages': {
        'encoding': ('GSM-7', 'UCS-2'),
        'purpose': ('reply', 'ticket', 'broadcast', 'alert'),
        'queue': ('high', 'bulk'),
        'status': ('queued', 'sending', 'sent', 'delivered', 'failed', 'suppressed', 'dropped',
                   'unknown'),
    },
    'opt_outs': {
        'action': ('stop', 'start'),
        'channel': ('sms', 'bulk_optout', 'blacklist'),
    },
    'suppressions': {'channel': ('sms', 'bulk_optout', 'blacklist')},
    'broadcasts': {
        'kind': ('broadcast', 'outage_alert', 'outage_update', 'outage_restored'),
        'status': ('pending_confirmation', 'scheduled', 'fanning_out', 'sending', 'done',
                   'cancelled', 'dropped'),
    },
}
"""Column -> allowed values, per table; each becomes the constraint `ck_<table>_<column>`."""


def _condition(column: str, values: tuple[str, ...]) -> str:
    # The same text SQLAlchemy renders for the models' Enum columns.
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _refuse_unknown_values() -> None:
    """Stop before altering anything if a row holds a value the constraints would refuse."""
    if op.get_context().as_sql:  # offline (`--sql`): nothing to read
        return
    bind = op.get_bind()
    found = []
    for table, columns in CHECKS.items():
        for column, values in columns.items():
            col = sa.column(column)
            query = (sa.select(col, sa.func.count()).select_from(sa.table(table, col))
                     .where(col.not_in(values)).group_by(col))
            found += [f"{table}.{column} = {value!r} ({count} rows)"
                      for value, count in bind.execute(query)]
    if found:
        raise RuntimeError(
            "0004: rows hold values outside wardlink's vocabulary (app/vocabulary.py): "
            + "; ".join(found) + ". Correct or delete them, then upgrade again.")


def upgrade() -> None:
    _refuse_unknown_values()
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(batch_op.f(f'ck_{table}_{column}'),
                                                 _condition(column, values))


def downgrade() -> None:
    for table, columns in reversed(CHECKS.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(batch_op.f(f'ck_{table}_{column}'), type_='check')
