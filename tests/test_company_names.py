"""Company-name and state keys used by name matching."""

from __future__ import annotations

import pytest

from abmkpi.matching.names import normalize_company_name, normalize_state


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("株式会社ミドリテック", "ミドリテック"),
        ("ミドリテック株式会社", "ミドリテック"),
        ("(株)ミドリテック", "ミドリテック"),
        ("ミドリテック（株）", "ミドリテック"),
        ("㈱ミドリテック", "ミドリテック"),
        ("㈲ミドリ商店", "ミドリ商店"),
        ("有限会社ミドリ商店", "ミドリ商店"),
        ("合同会社ミドリ", "ミドリ"),
        ("一般社団法人ミドリ協会", "ミドリ協会"),
        ("ｱｵﾊﾞ精機", "アオバ精機"),
        ("株式会社\u3000ミドリテック", "ミドリテック"),
        (" ミドリ テック ", "ミドリテック"),
        ("コ\uff0dエイ工業", "コーエイ工業"),
        ("コ-エイ工業", "コーエイ工業"),
        ("コ\u2212エイ工業", "コーエイ工業"),
        ("コ\u2010エイ工業", "コーエイ工業"),
        ("ｺｰｴｲ工業", "コーエイ工業"),
        ("東京-大阪物流", "東京-大阪物流"),
        ("Acme Corp.", "acme"),
        ("ACME, Inc.", "acme"),
        ("Acme Co., Ltd.", "acme"),
        ("Acme Co.,Ltd.", "acme"),
        ("Acme Co.Ltd.", "acme"),
        ("Acme Limited", "acme"),
        ("Acme LLC", "acme"),
        ("Acme L.L.C.", "acme"),
        ("Acme GmbH", "acme"),
        ("Acme AG", "acme"),
        ("Acme K.K.", "acme"),
        ("Acme KK", "acme"),
        ("Acme PLC", "acme"),
        ("Acme S.A.", "acme"),
        ("Acme Pty Ltd", "acme"),
        ("Acme (Pty) Ltd", "acme"),
        ("Acme Pte. Ltd.", "acme"),
        ("ＡＣＭＥ　Ｃｏｒｐ．", "acme"),
        ("Acme Corporation", "acme"),
        ("Edge Communications", "edgecommunications"),
        ("Corporate Finance Inc", "corporatefinance"),
        ("Cobalt Agency", "cobaltagency"),
        ("Incoming Ltd", "incoming"),
        ("Sony Group Corporation", "sonygroup"),
    ],
)
def test_company_name_key(name: str, key: str) -> None:
    assert normalize_company_name(name) == key


def test_distinct_kanji_kept() -> None:
    assert normalize_company_name("髙島屋株式会社") == "髙島屋"
    assert normalize_company_name("髙島屋") != normalize_company_name("高島屋")


def test_legal_form_only_name() -> None:
    assert normalize_company_name("株式会社") == "株式会社"
    assert normalize_company_name("Inc.") == "inc"


def test_empty_company_name() -> None:
    assert normalize_company_name(None) is None
    assert normalize_company_name("   ") is None


@pytest.mark.parametrize(
    ("state", "key"),
    [("東京都", "東京都"), (" 大阪府\u3000", "大阪府"), ("ＣＡ", "ca"), ("", None)],
)
def test_state_key(state: str, key: str | None) -> None:
    assert normalize_state(state) == key
