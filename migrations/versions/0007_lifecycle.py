"""Ticket lifecycle: the new ticket states, departments and service targets, ticket events
and followers, tickets logged by staff (`phone`, `counter`) and escalation SMS.

Existing tickets keep their meaning: `open` becomes `received`, `assigned` becomes
`acknowledged`; each gets its reporter as first follower and a `created` event. Their due
time stays empty (no category has a target before this revision), so nothing old escalates.

The downgrade maps the new states back (`reopened` -> `open`, `rejected` and `duplicate` ->
`closed`) and stops, naming the rows, when a ticket was logged by staff or an escalation
SMS exists: the old vocabulary has no word for them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 09:00:00
"""

from alembic import context, op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


STATES = ('received', 'acknowledged', 'in_progress', 'resolved', 'closed', 'rejected', 'duplicate',
          'reopened')
CHECKS = {
    'tickets': {
        'status': STATES,
        'source': ('ussd', 'sms', 'phone', 'counter'),
    },
    'messages': {
        'purpose': ('reply', 'ticket', 'broadcast', 'alert', 'escalation'),
    },
    'ticket_events': {
        'kind': ('created', 'state', 'public_note', 'internal_note', 'assigned', 'merged', 'escalated'),
        'from_state': STATES,
        'to_state': STATES,
    },
    'ticket_followers': {'reason': ('reporter', 'added', 'merged')},
}
"""The closed sets this revision adds or changes (`ck_<table>_<column>`), written out as
they stand here (a later change of `app.vocabulary` is a later migration)."""

OLD_CHECKS = {
    'tickets': {
        'status': ('open', 'assigned', 'in_progress', 'resolved', 'closed'),
        'source': ('ussd', 'sms'),
    },
    'messages': {'purpose': ('reply', 'ticket', 'broadcast', 'alert')},
}
"""The same columns at 0005, for the downgrade."""

RENAMED = (('open', 'received'), ('assigned', 'acknowledged'))
"""Old status -> new status."""
BACK = (('received', 'open'), ('acknowledged', 'assigned'), ('reopened', 'open'), ('rejected', 'closed'),
        ('duplicate', 'closed'))
"""New status -> the nearest old one, for the downgrade."""


def _condition(column: str, values: tuple[str, ...]) -> str:
    # The same text SQLAlchemy renders for the models' Enum columns.
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _checks(table: str) -> list:
    return [sa.CheckConstraint(_condition(column, values), name=op.f(f'ck_{table}_{column}'))
            for column, values in CHECKS[table].items()]


def _replace_checks(table: str, before: dict, after: dict | None) -> None:
    """Drop the named CHECKs of `before`; create those of `after` (None: none yet)."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in before:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_{column}'), type_='check')
        for column, values in (after or {}).items():
            batch_op.create_check_constraint(batch_op.f(f'ck_{table}_{column}'), _condition(column, values))


def _rename_states(pairs) -> None:
    for old, new in pairs:
        op.execute(sa.text("UPDATE tickets SET status = :new WHERE status = :old").bindparams(old=old, new=new))


def upgrade() -> None:
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('supervisor_name', sa.String(length=120), nullable=True),
    sa.Column('supervisor_phone', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                            name=op.f('fk_departments_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('municipality_id', 'name', name=op.f('uq_departments_municipality_id_name'))
    )

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('target_hours', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('target_working_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('duplicate_window_hours', sa.Integer(), server_default='48',
                                      nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_categories_department_id_departments'), 'departments',
                                    ['department_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(batch_op.f('ck_categories_one_target'),
                                         'target_hours IS NULL OR target_working_days IS NULL')

    # The old CHECK refuses the new names: drop it, rename, then add the new one.
    _replace_checks('tickets', OLD_CHECKS['tickets'], None)
    _rename_states(RENAMED)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        for column, values in CHECKS['tickets'].items():
            batch_op.create_check_constraint(batch_op.f(f'ck_tickets_{column}'), _condition(column, values))
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('assignee_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalation_level', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rejection_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_tickets_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_due_at'), ['due_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tickets_department_id_departments'), 'departments',
                                    ['department_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_tickets_merged_into_id_tickets'), 'tickets',
                                    ['merged_into_id'], ['id'], ondelete='SET NULL')

    _replace_checks('messages', OLD_CHECKS['messages'], CHECKS['messages'])

    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=True),
    sa.Column('public_note', sa.Text(), nullable=True),
    sa.Column('internal_note', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events')),
    *_checks('ticket_events')
    )
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_events_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_followers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'],
                            name=op.f('fk_ticket_followers_resident_id_residents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_followers_ticket_id_tickets'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_followers')),
    sa.UniqueConstraint('ticket_id', 'resident_id', name=op.f('uq_ticket_followers_ticket_id_resident_id')),
    *_checks('ticket_followers')
    )
    with op.batch_alter_table('ticket_followers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_followers_resident_id'), ['resident_id'], unique=False)

    # Every existing ticket: its reporter follows it, and its history starts with its creation.
    op.execute("INSERT INTO ticket_followers (ticket_id, resident_id, phone, reason, created_at) "
               "SELECT t.id, r.id, r.phone, 'reporter', t.created_at "
               "FROM tickets t JOIN residents r ON r.id = t.resident_id")
    op.execute("INSERT INTO ticket_events (ticket_id, kind, to_state, actor, created_at) "
               "SELECT id, 'created', status, source, created_at FROM tickets")


def _refuse_untranslatable() -> None:
    """Stop the downgrade when rows hold values 0005 has no word for."""
    if context.is_offline_mode():
        return
    bind = op.get_bind()
    found = []
    for table, column, values in (('tickets', 'source', ('phone', 'counter')),
                                  ('messages', 'purpose', ('escalation',))):
        col = sa.column(column)
        query = (sa.select(col, sa.func.count()).select_from(sa.table(table, col))
                 .where(col.in_(values)).group_by(col))
        found += [f"{table}.{column} = {value!r} ({count} rows)" for value, count in bind.execute(query)]
    if found:
        raise RuntimeError("0007 downgrade: rows hold values revision 0005 cannot store: "
                           + "; ".join(found) + ". Delete or change them, then downgrade again.")


def downgrade() -> None:
    _refuse_untranslatable()
    with op.batch_alter_table('ticket_followers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_followers_resident_id'))
    op.drop_table('ticket_followers')
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_events_ticket_id'))
    op.drop_table('ticket_events')

    _replace_checks('messages', CHECKS['messages'], OLD_CHECKS['messages'])

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_merged_into_id_tickets'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_tickets_department_id_departments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tickets_due_at'))
        batch_op.drop_index(batch_op.f('ix_tickets_department_id'))
        for column in CHECKS['tickets']:
            batch_op.drop_constraint(batch_op.f(f'ck_tickets_{column}'), type_='check')
        for column in ('closed_at', 'resolved_at', 'rejection_reason', 'merged_into_id', 'escalation_level',
                       'due_at', 'priority', 'assignee_user_id', 'department_id'):
            batch_op.drop_column(column)
    _rename_states(BACK)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        for column, values in OLD_CHECKS['tickets'].items():
            batch_op.create_check_constraint(batch_op.f(f'ck_tickets_{column}'), _condition(column, values))

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_categories_one_target'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_categories_department_id_departments'), type_='foreignkey')
        batch_op.drop_column('duplicate_window_hours')
        batch_op.drop_column('target_working_days')
        batch_op.drop_column('target_hours')
        batch_op.drop_column('department_id')

    op.drop_table('departments')
