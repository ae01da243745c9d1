"""Staff: users with roles per municipality, API keys, and the audit log of staff actions.

`department_id` of roles and keys has no foreign key yet: departments arrive in a later
migration, which adds it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

ROLES = ('platform', 'admin', 'agent', 'department', 'councillor')

# The sets as they stand at this revision, written out (not imported from `app.vocabulary`)
# like 0004's; each becomes the constraint `ck_<table>_<column>`.
CHECKS = {
    'staff_roles': {'role': ROLES},
    'api_keys': {'role': ROLES},
    'audit_log': {'actor_kind': ('user', 'api_key', 'cli', 'system')},
}
"""Column -> allowed values, per table (read by tests/test_vocabulary.py with 0004's)."""

SCOPE = (
    "(role = 'platform' AND municipality_id IS NULL AND department_id IS NULL AND ward_id IS NULL)"
    " OR (role IN ('admin', 'agent') AND municipality_id IS NOT NULL"
    " AND department_id IS NULL AND ward_id IS NULL)"
    " OR (role = 'department' AND municipality_id IS NOT NULL"
    " AND department_id IS NOT NULL AND ward_id IS NULL)"
    " OR (role = 'councillor' AND municipality_id IS NOT NULL"
    " AND department_id IS NULL AND ward_id IS NOT NULL)"
)
"""What a role is scoped by (`ck_staff_roles_scope`, `ck_api_keys_scope`)."""

PLATFORM_ONLY = sa.text("municipality_id IS NULL")


def _check(table: str, column: str) -> sa.CheckConstraint:
    values = CHECKS[table][column]
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})",
                              name=op.f(f'ck_{table}_{column}'))


def upgrade() -> None:
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_users_email'))
    )
    op.create_table('staff_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('ward_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    _check('staff_roles', 'role'),
    sa.CheckConstraint(SCOPE, name=op.f('ck_staff_roles_scope')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_staff_roles_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_staff_roles_user_id_staff_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_staff_roles_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_roles')),
    sa.UniqueConstraint('user_id', 'municipality_id', 'role', name=op.f('uq_staff_roles_user_id_municipality_id_role'))
    )
    with op.batch_alter_table('staff_roles', schema=None) as batch_op:
        batch_op.create_index('uq_staff_roles_platform', ['user_id'], unique=True, postgresql_where=PLATFORM_ONLY, sqlite_where=PLATFORM_ONLY)

    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('ward_id', sa.Integer(), nullable=True),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    _check('api_keys', 'role'),
    sa.CheckConstraint(SCOPE, name=op.f('ck_api_keys_scope')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'], name=op.f('fk_api_keys_created_by_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_api_keys_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_api_keys_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix'))
    )

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=160), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('record_type', sa.String(length=32), nullable=True),
    sa.Column('record_id', sa.String(length=64), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=True),
    _check('audit_log', 'actor_kind'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_audit_log_municipality_id_municipalities'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_municipality_id_created_at', ['municipality_id', 'created_at'], unique=False)
        batch_op.create_index('ix_audit_log_record_type_record_id', ['record_type', 'record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_record_type_record_id')
        batch_op.drop_index('ix_audit_log_municipality_id_created_at')
    op.drop_table('audit_log')
    op.drop_table('api_keys')
    with op.batch_alter_table('staff_roles', schema=None) as batch_op:
        batch_op.drop_index('uq_staff_roles_platform', postgresql_where=PLATFORM_ONLY, sqlite_where=PLATFORM_ONLY)
    op.drop_table('staff_roles')
    op.drop_table('staff_users')
