"""Staff and tickets meet: a ticket's assignee is a staff user, and department roles and
keys name a real department (the two arrived in parallel, in 0006 and 0007).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:00:00
"""

from alembic import context, op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

LINKS = (
    ('tickets', 'assignee_user_id', 'staff_users', 'SET NULL'),
    ('staff_roles', 'department_id', 'departments', 'CASCADE'),
    ('api_keys', 'department_id', 'departments', 'CASCADE'),
)
"""(table, column, referred table, on delete) of every foreign key this migration adds."""


def _refuse_dangling() -> None:
    """A row naming a user or department that does not exist would break the new key: say
    which, instead of failing half-way (the columns had no key until now)."""
    if context.is_offline_mode():
        return
    bind = op.get_bind()
    problems = []
    for table, column, referred, _ in LINKS:
        # Names come from LINKS above, never from input.
        query = f"SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL AND {column} NOT IN (SELECT id FROM {referred})"  # noqa: S608
        count = bind.execute(sa.text(query)).scalar()
        if count:
            problems.append(f"{table}.{column}: {count} row(s) name no {referred} row")
    if problems:
        raise RuntimeError("cannot add foreign keys: " + "; ".join(problems)
                           + ". Correct or clear those values, then upgrade again.")


def upgrade() -> None:
    _refuse_dangling()
    for table, column, referred, on_delete in LINKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_{column}_{referred}'), referred,
                                        [column], ['id'], ondelete=on_delete)


def downgrade() -> None:
    for table, column, referred, _ in reversed(LINKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_{column}_{referred}'), type_='foreignkey')
