"""The PDF pack: the HTML pack printed by headless Chromium through Playwright.

Chromium lays out the Japanese text with the system's CJK fonts (Noto CJK
on Debian, package ``fonts-noto-cjk``), prints on A4 and starts each
section on a new page. The browser is the system's Chromium (or the one
named by ``ABMKPI_CHROMIUM``); without one, Playwright's own download is
tried.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from types import TracebackType
from typing import Any

from abmkpi.errors import ReportError

logger = logging.getLogger(__name__)

CHROMIUM_ENV = "ABMKPI_CHROMIUM"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Milliseconds a page may take to load and print.
PRINT_TIMEOUT_MS = 60_000


def chromium_path() -> str | None:
    """Return the Chromium to print with, or None to use Playwright's own."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


class PdfPrinter:
    """A headless Chromium that prints HTML documents to PDF files.

    Use it as a context manager; it launches the browser once for several
    documents.
    """

    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> PdfPrinter:
        from playwright.sync_api import Error, sync_playwright

        self._playwright = sync_playwright().start()
        path = chromium_path()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=path, headless=True, args=CHROMIUM_ARGS
            )
        except Error as error:
            self._playwright.stop()
            raise ReportError(
                f"cannot start Chromium ({path or 'Playwright download'}) to print "
                f"the PDF: {error.message.splitlines()[0]}. Install Debian's "
                f"chromium package, set {CHROMIUM_ENV} to a Chromium executable, "
                "or run 'playwright install chromium'."
            ) from error
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()

    def print(self, html: str, path: Path) -> None:
        """Print an HTML document to an A4 PDF at ``path``."""
        page = self._browser.new_page()
        try:
            page.set_default_timeout(PRINT_TIMEOUT_MS)
            page.set_content(html, wait_until="load")
            # Charts are inline SVG, drawn with the page; text needs its fonts.
            page.evaluate("document.fonts.ready.then(() => true)")
            page.emulate_media(media="print")
            page.pdf(
                path=str(path),
                format="A4",
                print_background=True,
                prefer_css_page_size=True,
            )
        finally:
            page.close()
        logger.info("printed %s", path)


def write_pdf(html: str, path: Path) -> None:
    """Print one HTML document to ``path``, launching Chromium for it."""
    with PdfPrinter() as printer:
        printer.print(html, path)
