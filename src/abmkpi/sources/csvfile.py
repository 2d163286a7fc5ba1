"""Reading CSV exports: encoding detection, line numbers, footers, truncation.

Exports reach abmkpi in UTF-8, UTF-8 with a byte-order mark (Excel's "CSV
UTF-8") and Windows-31J (cp932, what Japanese Windows and Salesforce call
Shift_JIS). The encoding is decided once per file, never per row: strict
Shift_JIS is never used, because it rejects NEC and IBM extension characters
(㈱, ①, Ⅲ, 髙, 﨑) and maps 0x8160 to WAVE DASH instead of FULLWIDTH TILDE.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer

from abmkpi.errors import CsvFormatError, EncodingError, InputError, InputProblem
from abmkpi.progress import notify

logger = logging.getLogger(__name__)

# Encodings a caller may name, mapped to the Python codec that reads them.
ENCODING_ALIASES = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "cp932": "cp932",
    "windows-31j": "cp932",
    "ms932": "cp932",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "euc-jp": "euc_jp",
    "latin-1": "latin-1",
    "cp1252": "cp1252",
}

# Maximum length of one field, in characters.
FIELD_SIZE_LIMIT = 64 * 1024 * 1024
csv.field_size_limit(FIELD_SIZE_LIMIT)

# Bytes that peek_csv reads from the start of a file.
PEEK_BYTES = 256 * 1024


@dataclass
class CsvRow:
    """One data row and the physical line it starts on (the header is line 1)."""

    line: int
    values: dict[str, str]


@dataclass
class CsvFile:
    """A decoded CSV file: header, rows with line numbers, and how it was read."""

    path: Path
    encoding: str
    header: list[str]
    rows: list[CsvRow]
    checksum: str
    delimiter: str = ","
    footer: list[str] = field(default_factory=list)

    def has_columns(self, *names: str) -> bool:
        present = {name.lower() for name in self.header}
        return all(name.lower() in present for name in names)

    def column(self, *candidates: str) -> str | None:
        """Return the first header that equals one of the candidates (any case)."""
        by_lower = {name.lower(): name for name in self.header}
        for candidate in candidates:
            if candidate.lower() in by_lower:
                return by_lower[candidate.lower()]
        return None


def expand_paths(paths: list[Path]) -> list[Path]:
    """Return the CSV files to read: each file as given, each directory's CSVs."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                child
                for child in path.iterdir()
                if child.is_file() and child.suffix.lower() == ".csv"
            )
            if not found:
                raise InputError(
                    InputProblem(path, None, None, None, "no CSV files in folder")
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(InputProblem(path, None, None, None, "file not found"))
    return files


def read_csv(
    path: Path,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> CsvFile:
    """Read and decode a CSV file; raise InputError naming line and column."""
    data = path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()
    codec = detect_encoding(path, data) if encoding is None else _codec(encoding)
    text = _decode(path, data, codec)
    if text.startswith("\ufeff"):
        text = text[1:]
    delimiter = delimiter or _sniff_delimiter(text)
    header, rows, footer = _parse(path, text, delimiter)
    logger.debug("read %s: %s, %d rows", path, codec, len(rows))
    notify("read", path.name)
    return CsvFile(path, codec, header, rows, checksum, delimiter, footer)


def peek_csv(path: Path, encoding: str | None = None, rows: int = 20) -> CsvFile:
    """Read a file's header and first rows, to tell what it contains.

    Only the first :data:`PEEK_BYTES` are read and decoded, cut after the last
    line end (a byte that no character of UTF-8 or cp932 contains). Rows with
    a field count off by more than one are left out, and a quoted field cut by the
    limit ends the rows. The checksum is empty: a peek never feeds an import.
    """
    with path.open("rb") as handle:
        data = handle.read(PEEK_BYTES)
    if len(data) == PEEK_BYTES and b"\n" in data:
        data = data[: data.rfind(b"\n") + 1]
    codec = detect_encoding(path, data) if encoding is None else _codec(encoding)
    text = _decode(path, data, codec)
    if text.startswith("\ufeff"):
        text = text[1:]
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    next_line = 1
    try:
        for fields in reader:
            records.append((next_line, fields))
            next_line = reader.line_num + 1
            if len(records) > rows:
                break
    except csv.Error:
        pass  # a quoted field cut by the byte limit
    if not records or not any(records[0][1]):
        raise CsvFormatError(
            InputProblem(path, 1, None, None, "the file has no header")
        )
    header = _header(path, records[0][1])
    sample = [
        CsvRow(line, {n: v for n, v in zip(header, fields, strict=False) if n})
        for line, fields in records[1:]
        if abs(len(fields) - len(header)) <= 1 and not _is_blank(fields)
    ]
    return CsvFile(path, codec, header, sample, "", delimiter)


def detect_encoding(path: Path, data: bytes) -> str:
    """Decide the file's encoding from all of its bytes.

    A file that is neither UTF-8 nor cp932 is read only in an encoding that
    charset-normalizer guesses and that is in :data:`TRUSTED_GUESSES`. Any
    other file stops the import at its first undecodable byte: a damaged
    cp932 file, or one that mixes UTF-8 and cp932 rows, decodes without error
    in a Cyrillic or Western single-byte encoding, as garbage.
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    failed_at: dict[str, int] = {}
    for codec in ("utf-8", "cp932"):
        try:
            data.decode(codec)
        except UnicodeDecodeError as error:
            failed_at[codec] = error.start
            continue
        return codec
    guess = _trusted_guess(data)
    if guess is not None:
        logger.info("%s: detected encoding %s", path, guess)
        return guess
    # The codec that decodes the longer prefix is the file's likely encoding,
    # so its first bad byte is where the damage or the other encoding starts.
    codec = max(failed_at, key=lambda name: failed_at[name])
    _raise_decode_error(path, data, codec, detected=None, detecting=True)
    raise AssertionError("unreachable")


# Encodings that charset-normalizer's guess is trusted for. Only encodings
# with strict multi-byte rules qualify: any byte string decodes in a
# single-byte encoding (cp1251, mac_cyrillic, latin-1), so a guess of one of
# them carries no information. Name such an encoding with --encoding to read it.
TRUSTED_GUESSES = frozenset({"euc_jp", "euc_jis_2004", "euc_jisx0213"})


def _trusted_guess(data: bytes) -> str | None:
    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding not in TRUSTED_GUESSES:
        return None
    try:
        data.decode(best.encoding)
    except UnicodeDecodeError:
        return None
    return best.encoding


def check_encoding(name: str) -> str:
    """Return the Python codec for an encoding name; raise ValueError if unusable."""
    codec = ENCODING_ALIASES.get(name.strip().lower())
    if codec is not None:
        return codec
    try:
        info = codecs.lookup(name)
    except LookupError as error:
        raise ValueError(
            f"unknown encoding {name!r}; use utf-8, utf-8-sig or cp932"
        ) from error
    # Codecs such as rot13 or base64 convert bytes to bytes or text to text.
    if not getattr(info, "_is_text_encoding", True):
        raise ValueError(
            f"{name!r} is not a text encoding; use utf-8, utf-8-sig or cp932"
        )
    return name


def _codec(name: str) -> str:
    try:
        return check_encoding(name)
    except ValueError as error:
        raise EncodingError(
            InputProblem(Path("--encoding"), None, None, name, str(error)),
            hint="name the encoding with --encoding, or leave it out to detect it",
        ) from error


def _decode(path: Path, data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        try:
            detected: str | None = detect_encoding(path, data)
        except EncodingError:
            detected = None
        _raise_decode_error(path, data, codec, detected)
    raise AssertionError("unreachable")


def _raise_decode_error(
    path: Path, data: bytes, codec: str, detected: str | None, detecting: bool = False
) -> None:
    try:
        data.decode(codec)
        position = 0
    except UnicodeDecodeError as error:
        position = error.start
    line = data.count(b"\n", 0, position) + 1
    line_start = data.rfind(b"\n", 0, position) + 1
    column = len(data[line_start:position].decode(codec, errors="replace")) + 1
    bad = data[position : position + 2].hex(" ")
    reason = f"invalid {codec} byte sequence"
    if detecting:
        other = "cp932" if codec == "utf-8" else "UTF-8"
        reason += f" (the file is not {other} either)"
    if detected and detected != codec:
        hint = f"the file decodes as {detected}; rerun with --encoding {detected}"
    elif detecting:
        hint = (
            f"the file looks like {codec} up to this byte, so it may be damaged "
            "or mix two encodings; export it again, or save it as UTF-8, or "
            "name its encoding with --encoding"
        )
    else:
        hint = "save the file as UTF-8, or name its encoding with --encoding"
    raise EncodingError(
        InputProblem(path, line, f"character {column}", f"bytes {bad}", reason),
        hint=hint,
    )


def _sniff_delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    counts = {sep: first_line.count(sep) for sep in (",", "\t", ";")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > 0 else ","


def _parse(
    path: Path, text: str, delimiter: str
) -> tuple[list[str], list[CsvRow], list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    next_line = 1
    try:
        for fields in reader:
            records.append((next_line, fields))
            next_line = reader.line_num + 1
    except csv.Error as error:
        raise CsvFormatError(
            InputProblem(path, next_line, None, None, _describe_csv_error(error)),
            hint=_csv_error_hint(error),
        ) from error
    if not records or not any(records[0][1]):
        raise CsvFormatError(
            InputProblem(path, 1, None, None, "the file has no header")
        )
    header = _header(path, records[0][1])
    body, footer = _split_footer(records[1:], len(header))
    rows = [_row(path, line, fields, header, text) for line, fields in body]
    return header, [row for row in rows if row is not None], footer


def _describe_csv_error(error: csv.Error) -> str:
    message = str(error)
    if "unexpected end of data" in message or "EOF" in message:
        return "the file ends inside a quoted field"
    if "field larger than field limit" in message:
        return f"a field is longer than {FIELD_SIZE_LIMIT // (1024 * 1024)} MiB"
    return f"invalid CSV: {message}"


def _csv_error_hint(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return (
            "such a field is usually a quote that never closes, which makes the "
            "rest of the file one field; check the quotes from this line on, or "
            "export the file again"
        )
    return "the file looks truncated or damaged; export it again"


def _header(path: Path, fields: list[str]) -> list[str]:
    header = [name.replace("\ufeff", "").strip() for name in fields]
    seen: set[str] = set()
    for index, name in enumerate(header, start=1):
        if not name:
            if index == len(header):
                # A trailing delimiter on the header line adds an empty column.
                continue
            raise CsvFormatError(
                InputProblem(path, 1, f"#{index}", "", "empty column name in header")
            )
        if name.lower() in seen:
            raise CsvFormatError(
                InputProblem(path, 1, name, name, "column name appears twice in header")
            )
        seen.add(name.lower())
    return header


def _split_footer(
    records: list[tuple[int, list[str]]], width: int
) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """Separate a report footer from the data rows.

    A footer starts at a blank line. Salesforce's footer (report title,
    copyright, confidentiality notice, "Generated By", company name) is found
    by its marker lines. Everything from its blank line to the end of the file
    belongs to it, whatever the field count, because an unquoted company name
    or date with a comma splits into several fields. Any other block after a
    blank line is a footer only when every line has a single field.
    """
    start = _marker_footer_start(records)
    if start is None:
        start = _plain_footer_start(records, width)
    if start is None:
        return records, []
    footer = [
        ", ".join(value.strip() for value in fields if value.strip())
        for _, fields in records[start:]
        if not _is_blank(fields)
    ]
    return records[:start], footer


# The first field of a line that only Salesforce's report footer contains.
# NOTE: the Japanese confidentiality notice is matched by its first word
# (機密情報) because its full wording was not checked against a real export.
_FOOTER_MARKER = re.compile(
    r"^((©\s*)?copyright\s*(\(c\)|©)?[\s\d–-]*salesforce\.com"
    r"|confidential information\s*-\s*do not distribute"
    r"|機密情報"
    r"|generated by\s*:)",
    re.IGNORECASE,
)


_FOOTER_SEARCH_LINES = 20


def _marker_footer_start(records: list[tuple[int, list[str]]]) -> int | None:
    """Return where a footer with a Salesforce marker line starts, if any.

    Lines between the blank line and the marker (the report title, a "Grand
    Totals" line, more blank lines) have at most one non-empty field. The
    footer is about seven lines long, so only the last 20 lines are searched.
    """
    tail = max(0, len(records) - _FOOTER_SEARCH_LINES)
    for index in range(tail, len(records)):
        fields = records[index][1]
        first = next((value.strip() for value in fields if value.strip()), "")
        if not _FOOTER_MARKER.match(first):
            continue
        start = None
        before = index - 1
        while before >= 0 and _non_empty(records[before][1]) <= 1:
            if _is_blank(records[before][1]):
                start = before
            before -= 1
        if start is not None:
            return start
    return None


def _plain_footer_start(records: list[tuple[int, list[str]]], width: int) -> int | None:
    if width <= 1:
        return None
    for index, (_, fields) in enumerate(records):
        if not _is_blank(fields):
            continue
        rest = records[index + 1 :]
        if rest and all(len(f) <= 1 or _is_blank(f) for _, f in rest):
            return index
    return None


def _non_empty(fields: list[str]) -> int:
    return sum(1 for value in fields if value.strip())


def _is_blank(fields: list[str]) -> bool:
    return all(not value.strip() for value in fields)


def _row(
    path: Path, line: int, fields: list[str], header: list[str], text: str
) -> CsvRow | None:
    if _is_blank(fields):
        return None
    if len(fields) != len(header):
        extra_empty = len(fields) == len(header) + 1 and not fields[-1]
        trailing_header = len(fields) + 1 == len(header) and not header[-1]
        if not (extra_empty or trailing_header):
            _raise_field_count(path, line, fields, header, text)
    values = {name: value for name, value in zip(header, fields, strict=False) if name}
    return CsvRow(line, values)


# NOTE: a file cut inside the last field of its last row, with no line end
# (…,New Business,25 in place of 250000), has the right field count and is
# read without a warning; only rows short of fields are caught as truncated.
def _raise_field_count(
    path: Path, line: int, fields: list[str], header: list[str], text: str
) -> None:
    last_line = text.rstrip("\r\n").count("\n") + 1
    ends_without_newline = not text.endswith(("\n", "\r"))
    if len(fields) < len(header) and ends_without_newline and line >= last_line - 1:
        reason = (
            f"the file looks truncated: the last row has {len(fields)} of "
            f"{len(header)} fields and no line end"
        )
        hint = "export the file again; nothing was imported"
    else:
        reason = f"expected {len(header)} fields, found {len(fields)}"
        hint = "quote values that contain the delimiter, or export the file again"
    column = header[len(fields) - 1] if 0 < len(fields) <= len(header) else None
    raise CsvFormatError(
        InputProblem(path, line, column, _line_text(text, line), reason), hint=hint
    )


def _line_text(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""
