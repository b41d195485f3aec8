"""Reminders: in-app inbox, e-mail outbox, digests and the scheduled jobs that feed them."""
