"""Notifications: webhook (Slack-compatible), e-mail over SMTP and a CSV queue
of Salesforce Tasks, with retries.

Callers build a :class:`Message` and :func:`enqueue` it for a subject (such
as ``handoff`` 12); :func:`deliver_due` sends what is due.
"""

from abmkpi.notify.deliveries import (
    Channel,
    Delivery,
    DeliveryRun,
    DeliveryStatus,
    deliver_due,
    deliveries_of,
    enqueue,
)
from abmkpi.notify.message import Message

__all__ = [
    "Channel",
    "Delivery",
    "DeliveryRun",
    "DeliveryStatus",
    "Message",
    "deliver_due",
    "deliveries_of",
    "enqueue",
]
