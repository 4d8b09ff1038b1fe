"""The ticket contract: tickets, SLA policies, calendars, pauses, messages (note ids), follow-ups.

Revision ID: 1f8b8eb65085
Revises: f7914d439339
Create Date: 2026-11-28 08:28:13.467946
"""
import sqlalchemy as sa
from alembic import op

revision = '1f8b8eb65085'
down_revision = 'f7914d439339'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendars',
    sa.Column('code_key', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('hours', sa.JSON(), nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('workdays', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code_key')
    )
    op.create_table('tickets',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('assignee_id', sa.String(length=64), nullable=True),
    sa.Column('opened_by', sa.String(length=64), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note_id', sa.String(length=64), nullable=False),
    sa.Column('linked_ticket_id', sa.String(length=32), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('first_response_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_risk_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_risk_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_seconds', sa.Integer(), nullable=True),
    sa.Column('first_response_within_sla', sa.Boolean(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.Column('resolution_seconds', sa.Integer(), nullable=True),
    sa.Column('resolution_within_sla', sa.Boolean(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_first_response_at_risk', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_first_response_breached', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_resolution_at_risk', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_resolution_breached', sa.DateTime(timezone=True), nullable=True),
    sa.Column('satisfaction_score', sa.Integer(), nullable=True),
    sa.Column('satisfaction_note_id', sa.String(length=64), nullable=True),
    sa.Column('satisfaction_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index('ix_tickets_category_priority_state', ['category', 'priority', 'state'], unique=False)
        batch_op.create_index('ix_tickets_client_id_assignee_id', ['client_id', 'assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_next_check_at'), ['next_check_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_opened_at'), ['opened_at'], unique=False)

    op.create_table('follow_ups',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('ticket_id', sa.String(length=32), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scheduled_by', sa.String(length=64), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(length=64), nullable=True),
    sa.Column('note_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('sla_policies',
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('first_response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=False),
    sa.Column('calendar_key', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['calendar_key'], ['calendars.code_key'], ),
    sa.PrimaryKeyConstraint('category', 'priority')
    )
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_policies_calendar_key'), ['calendar_key'], unique=False)

    op.create_table('ticket_messages',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('ticket_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('note_id', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ticket_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_messages_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_pauses',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ticket_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_pauses_ticket_id'), ['ticket_id'], unique=False)



def downgrade():
    with op.batch_alter_table('ticket_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_pauses_ticket_id'))

    op.drop_table('ticket_pauses')
    with op.batch_alter_table('ticket_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_messages_ticket_id'))

    op.drop_table('ticket_messages')
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_policies_calendar_key'))

    op.drop_table('sla_policies')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_due_at'))

    op.drop_table('follow_ups')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_opened_at'))
        batch_op.drop_index(batch_op.f('ix_tickets_next_check_at'))
        batch_op.drop_index('ix_tickets_client_id_assignee_id')
        batch_op.drop_index('ix_tickets_category_priority_state')
        batch_op.drop_index(batch_op.f('ix_tickets_assignee_id'))

    op.drop_table('tickets')
    op.drop_table('calendars')
