"""The ``abmkpi`` command line."""

from __future__ import annotations

import errno
import logging
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from abmkpi.errors import AbmkpiError, UserMessage, render
from abmkpi.store.lock import DEFAULT_LOCK_WAIT, LOCK_WAIT_ENV, configure_lock_wait

app = typer.Typer(
    name="abmkpi",
    help="Account-based-marketing KPIs shared by marketing, sales and customer "
    "success, from your MA and CRM exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Markup is off: output carries account names, file names and messages that
# may contain brackets, and none of them may be read as styling.
console = Console(markup=False, highlight=False)
# Messages on stderr are never wrapped: a message stays one line however wide,
# so a path or Japanese text (which has no spaces) is never split.
errors = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)
if "COLUMNS" not in os.environ:
    # Redirected output is read in files and pagers, not an 80-column screen.
    for stream in (console, errors):
        if not stream.is_terminal:
            stream.width = 200


class State:
    """Options given before the command name."""

    workspace: Path | None = None
    language: str | None = None
    # The language a command's own option sets, such as 'report --lang'.
    command_language: str | None = None
    # The language of the workspace that the command loaded, if it loaded one.
    workspace_language: str | None = None


state = State()


def message_language() -> str:
    """Return the language of errors, warnings and notes: --lang, else the
    command's own language option, else the loaded workspace's language, else
    Japanese when the locale environment (LC_ALL, LC_MESSAGES, LANG) names
    Japanese, else English."""
    if state.language in ("ja", "en"):
        return state.language
    if state.command_language in ("ja", "en"):
        return state.command_language
    if state.workspace_language in ("ja", "en"):
        return state.workspace_language
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def say(message: str | UserMessage) -> str:
    """Return an error, warning or note in the language of messages."""
    return render(message, message_language())


def _check_language(value: str | None) -> str | None:
    if value is not None and value not in ("ja", "en"):
        raise typer.BadParameter(f"{value!r} is not a language; use ja or en")
    return value


@app.callback()
def main_options(
    workspace: Path | None = typer.Option(
        None,
        "--workspace",
        "-w",
        envvar="ABMKPI_WORKSPACE",
        help="Workspace directory; defaults to the nearest one above the current "
        "directory.",
    ),
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="Log more: -v for info, -vv for debug."
    ),
    language: str | None = typer.Option(
        None,
        "--lang",
        help="Language of labels: ja or en (default: the config's).",
        callback=_check_language,
    ),
    wait: float = typer.Option(
        DEFAULT_LOCK_WAIT,
        "--wait",
        envvar=LOCK_WAIT_ENV,
        min=0,
        metavar="SECONDS",
        help="How long to wait for the workspace while another process (such "
        "as an import, or 'abmkpi serve' during a request) has it open; 0 "
        "fails at once.",
    ),
) -> None:
    state.workspace = workspace
    state.language = language
    _configure_lock_wait(wait)
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # httpx logs each request's full URL at info level, and a webhook URL
    # carries its secret (in the path for Slack, or as user:password).
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def _configure_lock_wait(seconds: float) -> None:
    announced = False

    def announce(path: Path, pid: int | None) -> None:
        nonlocal announced
        if announced:
            return
        announced = True
        if pid is None:
            message = UserMessage(
                "waiting for the workspace: another process has %(path)s open "
                "(up to %(seconds)g s; Ctrl+C stops)",
                path=path,
                seconds=seconds,
            )
        else:
            message = UserMessage(
                "waiting for the workspace: process %(pid)s has %(path)s open "
                "(up to %(seconds)g s; Ctrl+C stops)",
                pid=pid,
                path=path,
                seconds=seconds,
            )
        errors.print(say(message))

    configure_lock_wait(seconds, announce)


def main() -> None:
    """Run the CLI; errors abmkpi raises on purpose print without a traceback."""
    from abmkpi.cli import commands  # noqa: F401  (registers the commands)

    try:
        app()
    except SystemExit:
        _flush_output()
        raise
    except AbmkpiError as error:
        language = message_language()
        # Not wrapped: a message is one line however wide, so Japanese text,
        # which has no spaces to wrap at, is not split mid-word.
        errors.print(
            Text(render(UserMessage("error:"), language), style="bold red"),
            error.render(language),
            soft_wrap=True,
        )
        sys.exit(1)
    except OSError as error:
        if not _is_output_error(error):
            raise
        _fail_output(error)
    except Exception as error:
        if not _is_database_error(error):
            raise
        # A store that opened but fails while it is read is damaged inside.
        message = UserMessage(
            "the workspace store failed: %(error)s. The file may be damaged; "
            "restore abmkpi.duckdb from a backup, or create a new workspace with "
            "'abmkpi init' and import your files again.",
            error=error,
        )
        errors.print(Text(say(UserMessage("error:")), style="bold red"), say(message))
        sys.exit(1)


# Errors of a write to standard output that the user can fix, such as a full
# disk or a file too large. Click handles a closed pipe (EPIPE) itself.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO})


def _is_output_error(error: OSError) -> bool:
    """Return whether the error is a failed write to standard output: a
    write error without a file name (file errors carry the name)."""
    return error.filename is None and error.errno in _OUTPUT_ERRNOS


def _flush_output() -> None:
    try:
        sys.stdout.flush()
    except OSError as error:
        _fail_output(error)


def _fail_output(error: OSError) -> None:
    """Report a failed write to standard output and exit with status 1."""
    message = UserMessage(
        "cannot write the standard output: %(reason)s",
        reason=error.strerror or error,
    )
    errors.print(Text(say(UserMessage("error:")), style="bold red"), say(message))
    # The unwritten output stays buffered; pointing descriptor 1 at the null
    # device lets the interpreter's final flush succeed quietly.
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, sys.stdout.fileno())
    os.close(null)
    sys.exit(1)


def _is_database_error(error: Exception) -> bool:
    """Return whether DuckDB raised the error, without importing DuckDB."""
    return type(error).__module__.split(".")[0] in {"duckdb", "_duckdb"}
