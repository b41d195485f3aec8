"""reminders: inbox notifications, e-mail outbox, reminder preferences, scheduler job runs

Revision ID: af1b852fd214
Revises: c4091e7223a7
Create Date: 2026-11-21 06:43:02.590280

"""
from alembic import op
import sqlalchemy as sa

import emergency.database


# revision identifiers, used by Alembic.
revision = 'af1b852fd214'
down_revision = 'c4091e7223a7'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('scheduler_job_runs',
    sa.Column('job_id', sa.String(length=40), nullable=False),
    sa.Column('last_started_at', emergency.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', emergency.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error_at', emergency.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('last_result', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_scheduler_job_runs'))
    )
    op.create_table('email_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', emergency.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', emergency.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('to_addr', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('body_text', sa.Text(), nullable=True),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', emergency.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', emergency.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'cancelled')", name=op.f('ck_email_outbox_status_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_outbox_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_email_outbox_key'))
    )
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_email_outbox_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_outbox_user_id'), ['user_id'], unique=False)

    op.create_table('reminder_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('digest_hour', sa.Integer(), nullable=False),
    sa.Column('email_reminders', sa.Boolean(), nullable=False),
    sa.Column('email_weekly', sa.Boolean(), nullable=False),
    sa.CheckConstraint('digest_hour BETWEEN 0 AND 23', name=op.f('ck_reminder_preferences_digest_hour_range')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminder_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_reminder_preferences'))
    )
    op.create_table('reminder_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=12), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('is_mandatory', sa.Boolean(), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('created_at', emergency.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', emergency.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("category IN ('due', 'overdue', 'escalation', 'weekly')", name=op.f('ck_reminder_notifications_category_known')),
    sa.ForeignKeyConstraint(['outbox_id'], ['email_outbox.id'], name=op.f('fk_reminder_notifications_outbox_id_email_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_reminder_notifications_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminder_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_notifications')),
    sa.UniqueConstraint('key', name=op.f('uq_reminder_notifications_key'))
    )
    with op.batch_alter_table('reminder_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_notifications_outbox_id'), ['outbox_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_notifications_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_reminder_notifications_user_read', ['user_id', 'read_at'], unique=False)




def downgrade():

    with op.batch_alter_table('reminder_notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_notifications_user_read')
        batch_op.drop_index(batch_op.f('ix_reminder_notifications_unit_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_notifications_outbox_id'))

    op.drop_table('reminder_notifications')
    op.drop_table('reminder_preferences')
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_outbox_user_id'))
        batch_op.drop_index('ix_email_outbox_status_next')

    op.drop_table('email_outbox')
    op.drop_table('scheduler_job_runs')

