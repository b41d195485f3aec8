"""Reminder settings: app config first, then the environment, then these defaults.

config.py does not name them (yet), so each one is documented here and in the README.
"""

import os

from flask import current_app

DEFAULTS = {
    #: Days an item must be overdue before office staff in scope get an escalation.
    "REMINDER_ESCALATION_DAYS": 14,
    #: "22-8": no mail leaves between 22:00 and 08:00 China time; "" switches quiet hours off.
    "REMINDER_QUIET_HOURS": "22-8",
    #: Hour (China time) at which a user's daily digest goes out unless they chose another.
    "REMINDER_DIGEST_HOUR": 8,
    #: The address users open the app at; e-mail links are built on it.
    "REMINDER_BASE_URL": "http://127.0.0.1:5000",
    #: Display name of the sender (MAIL_DEFAULT_SENDER is the address).
    "REMINDER_SENDER_NAME": "市应急管理局",
    #: Seconds smtplib waits for the server; without it a hung relay blocks the sender forever.
    "MAIL_TIMEOUT": 30,
    #: Transient failures are retried this many times before the message is dead.
    "REMINDER_MAX_ATTEMPTS": 8,
    #: Messages claimed per round of the sender.
    "REMINDER_SEND_BATCH": 50,
    #: A message left "sending" this long belongs to a sender that died; it is tried again.
    "REMINDER_STALE_MINUTES": 10,
    #: Items listed in one e-mail; the rest are counted and left to the inbox.
    "REMINDER_MAIL_ITEMS": 100,
    #: Scheduler lock file for SQLite (PostgreSQL uses an advisory lock); default: instance folder.
    "SCHEDULER_LOCK_FILE": "",
}


def setting(name: str):
    """Return a reminder setting from the app config, the environment or the default."""
    default = DEFAULTS[name]
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name)
    if value is None:
        return default
    return int(value) if isinstance(default, int) and not isinstance(value, int) else value
