"""Telling which source a run's files come from, by their names and headers.

Every native source describes its own shapes as a
:class:`~abmkpi.sources.base.SourceShapes`. :func:`detect_source` peeks at
each file and picks the one source that recognizes every recognized file.
Files that no source recognizes do not vote: the chosen importer skips or
rejects them as it does for any file. :func:`check_source_fits` is the check
each importer runs on its own files, so that a file of one source imported
under another source's name fails instead of being skipped.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from abmkpi.errors import InputError, InputProblem, UserMessage
from abmkpi.sources.base import SourceShapes
from abmkpi.sources.csvfile import CsvFile, expand_paths, peek_csv

logger = logging.getLogger(__name__)

_HEADERS_SHOWN = 12


@dataclass(frozen=True)
class FileLook:
    """What one file looks like to each source that recognizes it."""

    path: Path
    header: tuple[str, ...]
    looks: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        if self.looks:
            return "looks like " + " or ".join(self.looks.values())
        return "matches no source's shapes; columns found: " + _headers(self.header)


@dataclass(frozen=True)
class Detection:
    """The source chosen for a run's files, and what each file looked like."""

    source: str
    label: str
    files: list[FileLook]

    @property
    def recognized(self) -> list[FileLook]:
        return [look for look in self.files if self.source in look.looks]

    def describe(self) -> str:
        """Return one line for the user in English: the source and the evidence."""
        return str(self.message())

    def message(self) -> UserMessage:
        """Return the line of :meth:`describe` as a translatable message."""
        others = [look.path.name for look in self.files if not look.looks]
        if not others:
            return UserMessage(
                "detected %(source)s data: %(recognized)s of %(files)s files",
                source=self.label,
                recognized=len(self.recognized),
                files=len(self.files),
            )
        shown = ", ".join(others[:5]) + (", …" if len(others) > 5 else "")
        return UserMessage(
            "detected %(source)s data: %(recognized)s of %(files)s files; not "
            "recognized: %(others)s",
            source=self.label,
            recognized=len(self.recognized),
            files=len(self.files),
            others=shown,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "files": {
                str(look.path): look.looks.get(self.source) for look in self.files
            },
        }


def source_shapes() -> list[SourceShapes]:
    """Return the shapes of every native source (every source but csv)."""
    from abmkpi.sources.registry import native_shapes

    return native_shapes()


def look_at(csv_file: CsvFile, shapes: list[SourceShapes]) -> FileLook:
    """Run every source's recognizer on one file."""
    looks = {}
    for shape in shapes:
        what = shape.recognize(csv_file)
        if what is not None:
            looks[shape.source] = what
    return FileLook(csv_file.path, tuple(csv_file.header), looks)


def detect_source(paths: list[Path], encoding: str | None = None) -> Detection:
    """Decide the source of the files and folders; raise InputError if unclear.

    The source is the one that recognizes every file that some source
    recognizes. Raises when no file is recognized, when files of several
    sources are mixed, and when two sources fit every file alike.
    """
    shapes = source_shapes()
    looks = [look_at(peek_csv(path, encoding), shapes) for path in expand_paths(paths)]
    recognized = [look for look in looks if look.looks]
    if not recognized:
        raise InputError(
            [_problem(look) for look in looks],
            hint=(
                "no file has the shape of a Salesforce, HubSpot, Marketo, Pardot "
                "or Mautic export. Import other CSV files with a mapping file: "
                "abmkpi import csv --mapping FILE PATH…"
            ),
        )
    fitting = [
        shape
        for shape in shapes
        if all(shape.source in look.looks for look in recognized)
    ]
    if len(fitting) == 1:
        detection = Detection(fitting[0].source, fitting[0].label, looks)
        logger.info("%s", detection.describe())
        return detection
    if fitting:
        names = " and ".join(shape.label for shape in fitting)
        raise InputError(
            [_problem(look) for look in recognized],
            hint=f"these files fit {names} alike; name the source, for example "
            f"abmkpi import --source {fitting[0].source} PATH…",
        )
    raise InputError(_mixed_problems(looks), hint=_mixed_hint(recognized, shapes))


def check_source_fits(source: str, files: list[CsvFile]) -> None:
    """Raise InputError for files that look like another source's data.

    A file that this source recognizes, or that no source recognizes, passes:
    the importer reads, skips or rejects it. The error names the shapes the
    source expects and the columns each foreign file has.
    """
    shapes = {shape.source: shape for shape in source_shapes()}
    own = shapes[source]
    others = [shape for name, shape in shapes.items() if name != source]
    problems = []
    for csv_file in files:
        if own.recognize(csv_file) is not None:
            continue
        look = look_at(csv_file, others)
        if look.looks:
            reason = (
                f"{look.describe()}, not {own.label} data; columns found: "
                + _headers(look.header)
            )
            problems.append(InputProblem(csv_file.path, 1, None, None, reason))
    if problems:
        raise InputError(
            problems,
            hint=f"{own.expected}. Import each source's files in a run of its "
            "own (abmkpi import SOURCE PATH…), or leave SOURCE out to detect it.",
        )


def _problem(look: FileLook) -> InputProblem:
    return InputProblem(look.path, None, None, None, look.describe())


def _mixed_problems(looks: list[FileLook]) -> list[InputProblem]:
    """List files with the rarest sources first, so the odd ones out show."""
    counts = Counter(frozenset(look.looks) for look in looks if look.looks)
    ordered = sorted(
        (look for look in looks if look.looks),
        key=lambda look: (counts[frozenset(look.looks)], str(look.path)),
    )
    return [_problem(look) for look in ordered]


def _mixed_hint(recognized: list[FileLook], shapes: list[SourceShapes]) -> str:
    labels = {shape.source: shape.label for shape in shapes}
    counts = Counter(source for look in recognized for source in look.looks)
    parts = [f"{count} {labels[source]}" for source, count in counts.most_common()]
    return (
        f"the files come from several sources ({', '.join(parts)} files); "
        "import each source's files in a run of its own: abmkpi import SOURCE PATH…"
    )


def _headers(header: tuple[str, ...] | list[str]) -> str:
    shown = ", ".join(header[:_HEADERS_SHOWN])
    return shown + (", …" if len(header) > _HEADERS_SHOWN else "")
