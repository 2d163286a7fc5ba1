"""Progress events from long work (reading files, writing tables, matching).

Library code calls :func:`notify`; a front end that wants a progress bar
installs a listener with :func:`listening` for the duration of the work.
Without a listener, notifications cost one context-variable lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Listener = Callable[[str, str], None]

_listener: ContextVar[Listener | None] = ContextVar("abmkpi_progress", default=None)


def notify(step: str, detail: str = "") -> None:
    """Report that one unit of ``step`` ('read', 'write', 'derive') finished."""
    listener = _listener.get()
    if listener is not None:
        listener(step, detail)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)
