"""The outbox sender's steps: claim rows, render them, talk SMTP, record the outcome.

Each database step flushes; the job commits between them, so no transaction is open while
smtplib waits for the server.
"""

import logging
import secrets
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select, update

from emergency.auth.models import User
from emergency.extensions import db
from emergency.reminders.digests import compose, deliverable
from emergency.reminders.models import MailStatus, Notification, OutboxMessage
from emergency.reminders.services import preference_of
from emergency.reminders.settings import setting
from emergency.reminders.stages import CHINA, backoff

logger = logging.getLogger(__name__)

RETRYABLE = (MailStatus.PENDING, MailStatus.FAILED)


@dataclass(frozen=True)
class Envelope:
    """A rendered message, ready for SMTP; carries no database objects."""

    outbox_id: int
    key: str
    message: EmailMessage
    to_addr: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one envelope: sent, transient (retry), permanent (dead) or untried."""

    outbox_id: int
    result: str
    error: str | None = None


def recover_stale(now: datetime) -> int:
    """Return rows left "sending" by a sender that died to the queue; return how many.

    SMTP may have accepted them before the crash, so this is at-least-once: a resend carries
    the same Message-ID and can be recognised.
    """
    limit = now - timedelta(minutes=setting("REMINDER_STALE_MINUTES"))
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == MailStatus.SENDING, OutboxMessage.claimed_at < limit)
        .values(status=MailStatus.FAILED, next_attempt_at=now, claim_token=None,
                last_error="interrupted while sending; sent again (same Message-ID)"))
    return result.rowcount


def claim(now: datetime, limit: int) -> list[int]:
    """Mark up to ``limit`` due messages "sending" for this round and return their ids.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent senders take different rows. SQLite: the
    same conditional UPDATE inside BEGIN IMMEDIATE, which lets one writer in at a time.
    """
    due = (select(OutboxMessage.id)
           .where(OutboxMessage.status.in_(RETRYABLE), OutboxMessage.next_attempt_at <= now)
           .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    token = secrets.token_hex(8)
    stmt = (update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()),
                   OutboxMessage.status.in_(RETRYABLE))
            .values(status=MailStatus.SENDING, claimed_at=now, claim_token=token)
            .returning(OutboxMessage.id))
    return sorted(db.session.scalars(stmt).all())


def ascii_address(address: str | None) -> str | None:
    """Return the address if it can be sent to without SMTPUTF8, else None."""
    if not address or not address.isascii():
        return None
    try:
        return validate_email(address, check_deliverability=False,
                              allow_smtputf8=False).normalized
    except EmailNotValidError:
        return None


def _set(outbox_id: int, **values) -> None:
    # Core UPDATEs: the sender's bookkeeping is not an audited user action (an admin's retry is).
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(**values))


def prepare(outbox_id: int, now: datetime) -> Envelope | None:
    """Render a claimed message for its recipient as of now; None (with a final status) if not."""
    row = db.session.get(OutboxMessage, outbox_id)
    user = db.session.get(User, row.user_id)
    notes = list(db.session.scalars(
        select(Notification).where(Notification.outbox_id == row.id).order_by(Notification.id)))
    items = deliverable(user, notes, preference_of(user))
    if not items:
        _set(row.id, status=MailStatus.CANCELLED, claim_token=None,
             last_error="nothing left to send: recipient inactive, opted out or no longer "
                        "responsible for these items")
        return None
    address = ascii_address(user.email)
    if address is None:
        _set(row.id, status=MailStatus.DEAD, claim_token=None,
             last_error=f"recipient address is not a valid ASCII address: {user.email!r}"[:500])
        return None
    try:
        mail = compose(user, items, now.astimezone(CHINA).date())
    except Exception as error:  # a broken template must not stall the queue behind it
        logger.exception("Outbox %s could not be rendered", row.id)
        _set(row.id, status=MailStatus.DEAD, claim_token=None,
             last_error=f"could not render: {type(error).__name__}: {error}"[:500])
        return None
    _set(row.id, to_addr=address, subject=mail.subject, body_text=mail.text, body_html=mail.html)
    name = " ".join((user.display_name or "").split())
    message = build_message(mail, Address(display_name=name, addr_spec=address),
                            row.message_id, now)
    return Envelope(row.id, row.key, message, address)


def sender_address() -> Address:
    """Return the From address: the configured sender with the office's display name."""
    addr = current_app.config.get("MAIL_DEFAULT_SENDER") or "noreply@localhost"
    return Address(display_name=setting("REMINDER_SENDER_NAME"), addr_spec=addr)


def build_message(mail, to: Address, message_id: str, now: datetime) -> EmailMessage:
    """Build a plain-text + HTML message; EmailMessage encodes the Chinese headers (RFC 2047)."""
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = sender_address()
    message["To"] = to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    # Tells vacation responders and mail rules that no person wrote this.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def smtp_settings() -> dict:
    """Return the SMTP connection settings from the app config, so deliver() needs no app."""
    config = current_app.config
    return {"host": config["MAIL_SERVER"], "port": config["MAIL_PORT"],
            "timeout": setting("MAIL_TIMEOUT"), "use_tls": config.get("MAIL_USE_TLS"),
            "username": config.get("MAIL_USERNAME"), "password": config.get("MAIL_PASSWORD")}


def _classify(error: Exception) -> tuple[str, str]:
    """Return ("permanent" | "transient", message) for an SMTP or network error."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        text = "; ".join(f"{code} {msg.decode(errors='replace')}"
                         for code, msg in error.recipients.values())
        return ("permanent" if codes and min(codes) >= 500 else "transient"), text
    if isinstance(error, smtplib.SMTPAuthenticationError):
        # A wrong password is fixed in the config; the messages themselves are fine.
        return "transient", f"{error.smtp_code} authentication failed"
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        if isinstance(message, bytes):
            message = message.decode(errors="replace")
        text = f"{error.smtp_code} {message}"
        return ("permanent" if 500 <= error.smtp_code < 600 else "transient"), text
    return "transient", f"{type(error).__name__}: {error}"


def _connect(settings: dict) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings["host"], settings["port"], timeout=settings["timeout"])
    try:
        if settings["use_tls"]:
            smtp.starttls()
        if settings["username"]:
            smtp.login(settings["username"], settings["password"] or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def deliver(envelopes: list[Envelope], settings: dict) -> Iterator[Outcome]:
    """Send the envelopes over one SMTP connection, yielding each outcome as the server answers.

    Never touches the database; the caller records each outcome before the next message goes
    out, so a sender killed midway resends at most the one message in flight (SMTP may have
    accepted it), not every message of the batch. A connection that cannot be opened fails the
    whole round (transient); one that breaks midway fails the message in flight and leaves the
    rest untried for the next round.
    """
    if not envelopes:
        return
    try:
        smtp = _connect(settings)
    except OSError as error:  # smtplib's errors are OSErrors too
        text = _classify(error)[1]
        for envelope in envelopes:
            yield Outcome(envelope.outbox_id, "transient", text)
        return
    try:
        for index, envelope in enumerate(envelopes):
            try:
                smtp.send_message(envelope.message, to_addrs=[envelope.to_addr])
                outcome = Outcome(envelope.outbox_id, "sent")
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
                # The server answered: the connection is still good for the next message.
                outcome = Outcome(envelope.outbox_id, *_classify(error))
            except OSError as error:
                # Timeout, reset or disconnect: nothing more can go over this connection.
                # No polite QUIT: a hung server would hold us for another full timeout.
                smtp.close()
                yield Outcome(envelope.outbox_id, "transient", _classify(error)[1])
                for rest in envelopes[index + 1:]:
                    yield Outcome(rest.outbox_id, "untried")
                return
            yield outcome
    except BaseException:  # includes GeneratorExit when the caller stops early
        smtp.close()
        raise
    _quit(smtp)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def record(outcome: Outcome, now: datetime) -> None:
    """Store the outcome of one attempt: sent, retry later with backoff, dead, or back in line."""
    attempts, key = db.session.execute(
        select(OutboxMessage.attempts, OutboxMessage.key)
        .where(OutboxMessage.id == outcome.outbox_id)).one()
    if outcome.result == "untried":
        status = MailStatus.FAILED if attempts else MailStatus.PENDING
        _set(outcome.outbox_id, status=status, claim_token=None)
        return
    attempts += 1
    values = {"attempts": attempts, "claim_token": None, "last_error": None}
    if outcome.result == "sent":
        values.update(status=MailStatus.SENT, sent_at=now)
    elif outcome.result == "permanent":
        values.update(status=MailStatus.DEAD, last_error=outcome.error[:500])
    elif attempts >= setting("REMINDER_MAX_ATTEMPTS"):
        values.update(status=MailStatus.DEAD,
                      last_error=f"gave up after {attempts} attempts: {outcome.error}"[:500])
    else:
        values.update(status=MailStatus.FAILED, last_error=outcome.error[:500],
                      next_attempt_at=now + backoff(attempts, key))
    _set(outcome.outbox_id, **values)
    logger.info("Outbox %s: %s after %s attempts %s", outcome.outbox_id, values["status"],
                attempts, values["last_error"] or "")


def retry_dead(row: OutboxMessage, now: datetime) -> None:
    """Put a dead (or cancelled) message back in the queue with a fresh attempt count."""
    row.status, row.attempts, row.next_attempt_at = MailStatus.PENDING, 0, now
    row.last_error = None
    db.session.flush()


def due_messages(now: datetime):
    """Return a SELECT of the messages the sender would take now (for --dry-run)."""
    return (select(OutboxMessage).where(
        OutboxMessage.status.in_(RETRYABLE), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.user_id, OutboxMessage.id))
