"""The serve command: the dashboard and the API over a workspace."""

from __future__ import annotations

import typer

from abmkpi.cli import app, console
from abmkpi.cli.common import load_workspace


@app.command()
def serve(
    host: str = typer.Option(
        "127.0.0.1", help="Address to bind; localhost by default."
    ),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
) -> None:
    """Serve the dashboard and the JSON API over the workspace."""
    import uvicorn

    from abmkpi.web.app import create_app

    workspace = load_workspace()
    application = create_app(workspace, bind_host=host)
    console.print(f"abmkpi dashboard: http://{host}:{port}/  (API: /api/docs)")
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
