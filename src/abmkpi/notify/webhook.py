"""The webhook channel: a Slack-compatible JSON message per notification.

The body has ``text`` (shown in notifications and by receivers that read
only that) and ``blocks`` in Slack's Block Kit layout: a header, the lines,
the fields as a two-column section and the link. Slack reads ``&``, ``<``
and ``>`` in text as markup, so data such as account names is escaped.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from abmkpi.config_workflow import WebhookSettings
from abmkpi.errors import DeliveryError, DeliveryTimeout
from abmkpi.notify.message import Message

logger = logging.getLogger(__name__)

# Block Kit limits: header text, section text, fields per section.
MAX_HEADER_CHARS = 150
MAX_SECTION_CHARS = 3000
MAX_FIELDS_PER_SECTION = 10
# Response text kept in an error message.
MAX_ERROR_BODY_CHARS = 200


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reads as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: Message) -> dict[str, Any]:
    """Return the message as a Slack incoming-webhook body."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": message.title[:MAX_HEADER_CHARS]},
        }
    ]
    if message.lines:
        text = escape_mrkdwn("\n".join(message.lines))[:MAX_SECTION_CHARS]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    fields = [
        {"type": "mrkdwn", "text": f"*{escape_mrkdwn(label)}*\n{escape_mrkdwn(value)}"}
        for label, value in message.fields
    ]
    for start in range(0, len(fields), MAX_FIELDS_PER_SECTION):
        chunk = fields[start : start + MAX_FIELDS_PER_SECTION]
        blocks.append({"type": "section", "fields": chunk})
    if message.link:
        link = f"<{message.link}|{escape_mrkdwn(message.link)}>"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": link}})
    if message.files:
        notes = [f"Attachment: {escape_mrkdwn(path)}" for path in message.files]
        elements = [{"type": "mrkdwn", "text": note} for note in notes]
        blocks.append({"type": "context", "elements": elements})
    return {"text": message.text, "blocks": blocks}


def send_webhook(message: Message, settings: WebhookSettings) -> None:
    """POST the message to the webhook URL; raise DeliveryError on any failure."""
    if not settings.url:
        raise DeliveryError("notify.webhook.url is not set")
    limit = settings.timeout_seconds
    try:
        # Streamed, so a receiver that responds with a huge body costs no more
        # than the few bytes an error message shows.
        # NOTE: httpx applies the timeout to each connect, write and read, not
        # to the whole request, so a receiver that sends its headers a byte at
        # a time can take longer than notify.webhook.timeout_seconds.
        with httpx.stream(
            "POST", settings.url, json=slack_payload(message), timeout=limit
        ) as response:
            status = response.status_code
            body = b"" if response.is_success else _read_start(response)
    except httpx.TimeoutException as error:
        raise DeliveryTimeout(
            f"webhook timed out after {limit:g} s ({type(error).__name__})"
        ) from error

    except httpx.HTTPError as error:
        raise DeliveryError(f"webhook request failed: {error}") from error
    if not 200 <= status < 300:
        text = " ".join(body.decode("utf-8", "replace").split())
        raise DeliveryError(
            f"webhook returned HTTP {status}: {text[:MAX_ERROR_BODY_CHARS]}"
        )
    logger.debug("webhook accepted %r with HTTP %d", message.title, status)


def _read_start(response: httpx.Response) -> bytes:
    """Return the first bytes of the response body, enough for an error message."""
    limit = MAX_ERROR_BODY_CHARS * 4
    start = b""
    for chunk in response.iter_bytes():
        start += chunk
        if len(start) >= limit:
            break
    return start[:limit]
