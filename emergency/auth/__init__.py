"""Accounts, roles, sessions, API tokens and the one scoping helper."""
