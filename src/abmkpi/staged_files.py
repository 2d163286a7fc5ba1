"""Writing output files whole or not at all.

A file is written to a temporary file in the target's folder and renamed
over the target once complete, so a failed write (a full disk, a killed
process) leaves the old file or none, never half a file. A target that
exists and is not a regular file, such as /dev/stdout or a named pipe, is
written to a temporary file in the system's temporary folder. That file is
copied into the target on commit, because renaming over the target would
replace the device. A symlink is followed, so the file it points to is replaced and the
link kept.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class StagedFile:
    """One output file in the making: write to ``write_path``, then
    :meth:`commit` to put it in place, or :meth:`discard` on failure.
    Creating one raises OSError when the target is a folder or its folder
    takes no new file."""

    def __init__(self, path: Path):
        self.path = path
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        self._special = path.exists() and not path.is_file()
        target = path.resolve() if path.is_symlink() and not self._special else path
        self.target = target
        folder = None if self._special else target.parent
        descriptor, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=folder
        )
        os.close(descriptor)
        self.write_path = Path(name)
        self._temporary = True

    def commit(self) -> None:
        """Put the written file in place: renamed over the target with the
        target's mode (a new file gets the mode the umask leaves), or copied
        into a target that is not a regular file."""
        if not self._temporary:
            return
        if self._special:
            try:
                with (
                    self.write_path.open("rb") as source,
                    self.target.open("wb") as sink,
                ):
                    shutil.copyfileobj(source, sink)
            finally:
                self.discard()
            return
        os.chmod(self.write_path, _mode_for(self.target))
        os.replace(self.write_path, self.target)
        self._temporary = False

    def discard(self) -> None:
        """Remove the temporary file, leaving the target as it was."""
        if self._temporary:
            self.write_path.unlink(missing_ok=True)
            self._temporary = False


@contextmanager
def staged_file(path: Path) -> Iterator[Path]:
    """Yield the path to write ``path`` through; commit on success, discard
    on any error."""
    staged = StagedFile(path)
    try:
        yield staged.write_path
    except BaseException:
        staged.discard()
        raise
    staged.commit()


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        # NOTE: reading the umask sets it for a moment, which a thread that
        # creates a file at that moment could observe.
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask
