"""The live update stream of the JSON API: GET /api/v1/events."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from abmkpi.tokens import Role
from abmkpi.web.auth import require_role
from abmkpi.web.live import event_stream
from abmkpi.web.params import web_state

router = APIRouter(prefix="/api/v1", tags=["live updates"])


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
    dependencies=[Depends(require_role(Role.VIEWER))],
)
async def get_events(request: Request) -> StreamingResponse:
    """Stream server-sent events: `event: activities` with data
    {"data_version": N, "accounts": [changed account ids], "inserted": n}
    once the numbers of a committed ingest are ready, and a comment line
    every 15 seconds."""
    state = web_state(request)
    return StreamingResponse(
        event_stream(state.broadcaster, request.is_disconnected, state.keep_alive),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
