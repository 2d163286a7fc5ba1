"""Encodings that must never be guessed: damaged cp932, mixed files, odd names."""

from __future__ import annotations

from pathlib import Path

import pytest

from abmkpi.errors import CsvFormatError, EncodingError, MappingError
from abmkpi.sources.csvfile import check_encoding, read_csv
from abmkpi.workspace import Workspace
from tests.hardening_support import ACCOUNTS_HEADER, MAPPING, import_files, query

JAPANESE_ROWS = (
    "J1,株式会社髙橋製作所,tk.example.jp,1,1,0,\n"
    "J2,㈱サンプル①,sm.example.jp,1,1,0,\nJ3,"
)


def _damaged_cp932() -> bytes:
    """A cp932 accounts file whose last row has a stray lead byte 0x81."""
    return (
        f"{ACCOUNTS_HEADER}\n".encode()
        + JAPANESE_ROWS.encode("cp932")
        + b"\x81,x.jp,1,1,0,\n"
    )


def _mixed() -> bytes:
    """One UTF-8 row, then one cp932 row."""
    return (
        f"{ACCOUNTS_HEADER}\nB1,株式会社テスト,t.jp,1,1,0,\nB2,".encode()
        + "株式会社サンプル".encode("cp932")
        + b",s.jp,1,1,0,\n"
    )


def test_damaged_cp932_names_stray_byte(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(_damaged_cp932())
    with pytest.raises(EncodingError) as caught:
        read_csv(path)
    problem = caught.value.problems[0]
    assert problem.file == path
    assert problem.line == 4
    assert problem.column == "character 4"
    assert problem.value == "bytes 81 2c"
    assert "invalid cp932 byte sequence" in problem.reason
    assert "damaged or mix two encodings" in caught.value.hint


def test_mixed_encodings_name_first_cp932_row(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(_mixed())
    with pytest.raises(EncodingError) as caught:
        read_csv(path)
    problem = caught.value.problems[0]
    assert problem.line == 3
    assert problem.column == "character 4"
    assert problem.value == "bytes 8a 94"
    assert "invalid utf-8 byte sequence" in problem.reason


def test_damaged_file_stores_nothing(workspace: Workspace) -> None:
    with pytest.raises(EncodingError):
        import_files(workspace, {"accounts.csv": _damaged_cp932()})
    assert query(workspace, "SELECT count(*) FROM accounts") == [(0,)]


def test_valid_cp932_still_detected(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(
        f"{ACCOUNTS_HEADER}\n".encode()
        + JAPANESE_ROWS.encode("cp932")
        + b"x,x.jp,1,1,0,\n"
    )
    table = read_csv(path)
    assert table.encoding == "cp932"
    assert table.rows[0].values["name"] == "株式会社髙橋製作所"


def test_euc_jp_guess_is_trusted(tmp_path: Path) -> None:
    # 株式会社 and 筐 have EUC-JP bytes that no cp932 sequence allows.
    text = (
        "id,name,city\n1,株式会社日本電気,東京都港区芝五丁目\n"
        "2,富士通株式会社,神奈川県川崎市中原区\n3,株式会社筐,大阪府\n"
    )
    path = tmp_path / "euc.csv"
    path.write_bytes(text.encode("euc_jp"))
    table = read_csv(path)
    assert table.encoding in {"euc_jp", "euc_jis_2004"}
    assert table.rows[2].values["name"] == "株式会社筐"


@pytest.mark.parametrize("name", ["rot13", "base64", "klingon"])
def test_unusable_encoding_names_value(tmp_path: Path, name: str) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id\n1\n", encoding="utf-8")
    with pytest.raises(EncodingError) as caught:
        read_csv(path, encoding=name)
    problem = caught.value.problems[0]
    assert problem.file == Path("--encoding")
    assert problem.value == name


def test_text_encoding_check_keeps_aliases() -> None:
    assert check_encoding("Shift_JIS") == "cp932"
    assert check_encoding("utf-8-sig") == "utf-8-sig"
    assert check_encoding("euc-jp") == "euc_jp"


def test_mapping_encoding_listed_with_key(workspace: Workspace) -> None:
    mapping = MAPPING.replace('source = "t"', 'source = "t"\nencoding = "klingon"')
    with pytest.raises(MappingError) as caught:
        import_files(workspace, {"accounts.csv": "id\n1\n"}, mapping=mapping)
    message = str(caught.value)
    assert "encoding: unknown encoding 'klingon'" in message
    assert "map.toml" in message


def test_huge_field_names_line(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text('id,name\n1,"' + "x" * (65 * 1024 * 1024) + '"\n', encoding="utf-8")
    with pytest.raises(CsvFormatError) as caught:
        read_csv(path)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == (path, 2)
    assert problem.reason == "a field is longer than 64 MiB"
    assert "a quote that never closes" in caught.value.hint
