"""The serve command: the dashboard and the API over a workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from abmkpi.cli import app, console
from abmkpi.cli.common import load_workspace

if TYPE_CHECKING:
    from abmkpi.workspace import Workspace

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def host_option() -> str:
    return typer.Option(DEFAULT_HOST, help="Address to bind; localhost by default.")


def port_option() -> int:
    return typer.Option(DEFAULT_PORT, min=1, max=65535, help="Port to listen on.")


@app.command()
def serve(host: str = host_option(), port: int = port_option()) -> None:
    """Serve the dashboard and the JSON API over the workspace."""
    serve_workspace(load_workspace(), host, port)


def serve_workspace(workspace: Workspace, host: str, port: int) -> None:
    """Print the URL to open, then serve until interrupted (Ctrl+C)."""
    import uvicorn

    from abmkpi.web.app import create_app

    application = create_app(workspace, bind_host=host)
    url_host = f"[{host}]" if ":" in host else host
    console.print(
        f"abmkpi dashboard: open http://{url_host}:{port}/  (API: /api/docs; "
        "Ctrl+C stops)",
        highlight=False,
    )
    # uvicorn's access log would print query strings, which may carry e-mail
    # addresses. Open event streams end at most 5 s after a stop signal.
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
