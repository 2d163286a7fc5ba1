"""The e-mail channel: one plain-text mail per notification, over SMTP.

The password is read from the environment variable that
``notify.email.password_env`` names, at send time, and is never logged.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from abmkpi.config_workflow import EmailSettings
from abmkpi.errors import DeliveryError, DeliveryTimeout
from abmkpi.notify.message import Message

logger = logging.getLogger(__name__)


def recipients_of(message: Message, settings: EmailSettings) -> list[str]:
    """Return the configured recipients plus the owner's address, once each."""
    addresses = list(settings.recipients)
    if message.owner_email and message.owner_email not in addresses:
        addresses.append(message.owner_email)
    return addresses


def build_email(
    message: Message, settings: EmailSettings, workspace_root: Path
) -> EmailMessage:
    """Return the mail: subject = title, body = the plain text, attachments."""
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = settings.sender
    mail["To"] = ", ".join(recipients_of(message, settings))
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="abmkpi")
    mail.set_content(message.text)
    for path in message.files:
        _attach(mail, workspace_root / path)
    return mail


def _attach(mail: EmailMessage, path: Path) -> None:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DeliveryError(f"cannot read the attachment {path}: {error}") from error
    kind, _ = mimetypes.guess_type(path.name)
    main, _, sub = (kind or "application/octet-stream").partition("/")
    mail.add_attachment(data, maintype=main, subtype=sub, filename=path.name)


def send_email(message: Message, settings: EmailSettings, workspace_root: Path) -> None:
    """Send the mail through the configured SMTP server; raise DeliveryError."""
    if not settings.smtp_host:
        raise DeliveryError("notify.email.smtp_host is not set")
    recipients = recipients_of(message, settings)
    if not recipients:
        raise DeliveryError("no recipients; set notify.email.recipients")
    mail = build_email(message, settings, workspace_root)
    password = _password(settings)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds
        ) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, password or "")
            smtp.send_message(mail, to_addrs=recipients)
    except TimeoutError as error:
        raise DeliveryTimeout(
            f"SMTP {settings.smtp_host}:{settings.smtp_port} timed out after "
            f"{settings.timeout_seconds:g} s"
        ) from error
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(
            f"SMTP {settings.smtp_host}:{settings.smtp_port} failed: {error}"
        ) from error
    logger.debug("mailed %r to %d recipients", message.title, len(recipients))


def _password(settings: EmailSettings) -> str | None:
    if not settings.password_env:
        return None
    password = os.environ.get(settings.password_env)
    if password is None:
        raise DeliveryError(
            f"the environment variable {settings.password_env} (named by "
            "notify.email.password_env) is not set"
        )
    return password
