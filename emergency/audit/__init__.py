"""The append-only audit log of every change and every login."""
