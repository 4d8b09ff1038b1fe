"""Cycles, appraisals, ratings, ticket facts and members; template codes unique regardless of case.

``templates.code_key`` holds the code in lower case (filled from the existing codes); its unique
constraint makes template codes unique regardless of case.

Revision ID: 1599da55a972
Revises: 12cdee293e7d
"""
import sqlalchemy as sa
from alembic import op

revision = '1599da55a972'
down_revision = '12cdee293e7d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cycles',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('code_key', sa.String(length=64), nullable=False),
    sa.Column('template_code', sa.String(length=64), nullable=False),
    sa.Column('template', sa.JSON(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_by', sa.String(length=64), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finalized_by', sa.String(length=64), nullable=True),
    sa.Column('finalized_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_key')
    )
    op.create_table('members',
    sa.Column('staff_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('status_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('position_code', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('staff_id')
    )
    op.create_table('ticket_facts',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ticket_id', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.String(length=64), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('within_sla', sa.Boolean(), nullable=True),
    sa.Column('business_seconds', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('event_id')
    )
    with op.batch_alter_table('ticket_facts', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_facts_staff_id_day', ['staff_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_facts_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('appraisals',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('cycle_id', sa.String(length=32), nullable=False),
    sa.Column('staff_id', sa.String(length=64), nullable=False),
    sa.Column('member_status', sa.String(length=16), nullable=False),
    sa.Column('staff_record', sa.JSON(), nullable=False),
    sa.Column('final_score', sa.Float(), nullable=True),
    sa.Column('grade', sa.String(length=1), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('scorecard', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cycle_id', 'staff_id')
    )
    with op.batch_alter_table('appraisals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisals_staff_id'), ['staff_id'], unique=False)

    op.create_table('ratings',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('appraisal_id', sa.String(length=32), nullable=False),
    sa.Column('reviewer_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appraisal_id'], ['appraisals.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('appraisal_id', 'reviewer_id')
    )
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ratings_appraisal_id'), ['appraisal_id'], unique=False)

    with op.batch_alter_table('templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_key', sa.String(length=64), nullable=True))
    op.execute("UPDATE templates SET code_key = lower(code)")
    with op.batch_alter_table('templates', schema=None) as batch_op:
        batch_op.alter_column('code_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint('uq_templates_code_key', ['code_key'])


def downgrade():
    with op.batch_alter_table('templates', schema=None) as batch_op:
        batch_op.drop_constraint('uq_templates_code_key', type_='unique')
        batch_op.drop_column('code_key')

    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ratings_appraisal_id'))

    op.drop_table('ratings')
    with op.batch_alter_table('appraisals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisals_staff_id'))

    op.drop_table('appraisals')
    with op.batch_alter_table('ticket_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_facts_ticket_id'))
        batch_op.drop_index('ix_ticket_facts_staff_id_day')

    op.drop_table('ticket_facts')
    op.drop_table('members')
    op.drop_table('cycles')
