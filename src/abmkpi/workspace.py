"""A workspace: one directory holding the config file, the store and reject files."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from abmkpi.config import CONFIG_FILE_NAME, Settings, load_settings
from abmkpi.errors import UserMessage, WorkspaceError
from abmkpi.periods import Calendar
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

STORE_FILE_NAME = "abmkpi.duckdb"
WORKSPACE_ENV = "ABMKPI_WORKSPACE"


@dataclass
class Workspace:
    """Paths and settings of one workspace directory."""

    root: Path
    settings: Settings

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE_NAME

    @property
    def store_path(self) -> Path:
        return self.root / STORE_FILE_NAME

    @property
    def rejects_dir(self) -> Path:
        return self.root / "rejects"

    @property
    def calendar(self) -> Calendar:
        return Calendar(self.settings.fiscal, self.settings.workspace.time_zone)

    @classmethod
    def init(cls, root: Path, config_text: str | None = None) -> Workspace:
        """Create the directory, a commented default config and an empty store."""
        from abmkpi.config_template import default_config_text

        config_path = root / CONFIG_FILE_NAME
        try:
            root.mkdir(parents=True, exist_ok=True)
            if config_path.exists() or (root / STORE_FILE_NAME).exists():
                raise WorkspaceError(
                    UserMessage(
                        "%(root)s already contains a workspace; choose an empty "
                        "directory or remove abmkpi.toml and abmkpi.duckdb",
                        root=root,
                    )
                )
            config_path.write_text(
                config_text or default_config_text(), encoding="utf-8"
            )
        except OSError as error:
            raise WorkspaceError(
                UserMessage(
                    "cannot create a workspace in %(root)s: %(reason)s; choose a "
                    "directory you can write to",
                    root=root,
                    reason=error.strerror or error,
                )
            ) from error
        workspace = cls(root, load_settings(config_path))
        Store.create(workspace.store_path).close()
        logger.info("created workspace %s", root)
        return workspace

    @classmethod
    def load(cls, root: Path) -> Workspace:
        config_path = root / CONFIG_FILE_NAME
        if not config_path.exists():
            raise WorkspaceError(
                UserMessage(
                    "no workspace at %(root)s (%(config)s not found); run "
                    "'abmkpi init DIR', or pass --workspace DIR",
                    root=root,
                    config=CONFIG_FILE_NAME,
                )
            )
        return cls(root, load_settings(config_path))

    @classmethod
    def find(cls, start: Path | None = None) -> Workspace:
        """Find the workspace: $ABMKPI_WORKSPACE, else the nearest enclosing one."""
        if os.environ.get(WORKSPACE_ENV):
            return cls.load(Path(os.environ[WORKSPACE_ENV]))
        here = (start or Path.cwd()).resolve()
        for directory in (here, *here.parents):
            if (directory / CONFIG_FILE_NAME).exists():
                return cls.load(directory)
        raise WorkspaceError(
            UserMessage(
                "no workspace found in %(here)s or its parents; run 'abmkpi init "
                "DIR' or pass --workspace DIR",
                here=here,
            )
        )

    def open_store(self, read_only: bool = False) -> Store:
        return Store.open(self.store_path, read_only=read_only)

    def reload(self) -> None:
        self.settings = load_settings(self.config_path)
