"""The serve command: the dashboard and the API over a workspace."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
    # addresses, so abmkpi's own request log replaces it.
    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        log_config=log_config(),
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    _stream_closing_server(config, application.state.web.broadcaster.close).run()


def _stream_closing_server(config: Any, close_streams: Callable[[], None]) -> Any:
    """Return a uvicorn server that ends the open event streams on a stop signal.

    uvicorn waits for open connections before it runs the app's shutdown, and
    an event stream stays open until the client leaves. Ending the streams
    as the signal arrives lets Ctrl+C stop the server at once, instead of
    cancelling them after the graceful timeout with a traceback.
    """
    import uvicorn

    class StreamClosingServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            close_streams()
            super().handle_exit(sig, frame)

    return StreamClosingServer(config)


def log_config() -> dict[str, Any]:
    """Return uvicorn's logging config with abmkpi's loggers added at INFO.

    Without a handler of their own, the request log, ingest counts and the
    background senders' messages would be dropped, because uvicorn's config
    only sets up its own loggers.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["abmkpi"] = {
        "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
    }
    config["handlers"]["abmkpi"] = {
        "formatter": "abmkpi",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["abmkpi"] = {
        "handlers": ["abmkpi"],
        "level": "INFO",
        "propagate": False,
    }
    return config
