"""Translated messages for refused uploads."""

from flask_babel import gettext as _

from emergency.documents.sniff import RejectedFile, RejectReason


def rejection_message(error: RejectedFile) -> str:
    """Explain in the user's language why a file was refused, naming what was detected."""
    detected = str(error.detected).upper() if error.detected else None
    messages = {
        RejectReason.EMPTY: _("The file is empty."),
        RejectReason.EXTENSION_NOT_ALLOWED: _(
            "This file type is not accepted. Upload PDF, DOC, DOCX, WPS, OFD, JPG or PNG."),
        RejectReason.UNKNOWN_CONTENT: _("The file content is not a recognised document."),
        RejectReason.ZIP_BOMB: _("The file expands to an unreasonable size and was refused."),
        RejectReason.ZIP_UNSAFE_MEMBER: _("The file contains unsafe entries and was refused."),
        RejectReason.ZIP_MISSING_MEMBER: _("The file is damaged: required parts are missing."),
        RejectReason.TOO_LARGE: _("The upload is larger than the allowed size."),
        RejectReason.BAD_NAME: _("The file name is not usable."),
    }
    if error.code == RejectReason.CONTENT_MISMATCH:
        if detected:
            return _("The file content does not match its extension: the content is %(detected)s.",
                     detected=detected)
        return _("The file content does not match its extension.")
    return messages.get(error.code, _("The file was refused."))
