"""Japanese and English names of demo companies and people, and job titles.

Company names combine a stem (北浜精工, ミドリテック, Acme Robotics) with a
legal form in front or behind, as companies write them. Lead forms spell the
same company in other ways (without the legal form, (株), half-width kana,
an ASCII hyphen for ー), which is what company-name matching has to undo.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from abmkpi.canonical import Persona

# (kanji, romaji) place-like prefixes and (kanji, romaji, industry) words.
_KANJI_PREFIXES = (
    ("北浜", "kitahama"), ("東洋", "toyo"), ("大和", "yamato"), ("三河", "mikawa"),
    ("相模", "sagami"), ("浪速", "naniwa"), ("中央", "chuo"), ("朝日", "asahi"),
    ("瀬戸内", "setouchi"), ("北陸", "hokuriku"), ("信濃", "shinano"),
    ("筑紫", "tsukushi"), ("常盤", "tokiwa"), ("京浜", "keihin"), ("阪神", "hanshin"),
    ("東邦", "toho"), ("武蔵", "musashi"), ("尾張", "owari"), ("若葉", "wakaba"),
    ("白鷺", "shirasagi"), ("日向", "hyuga"), ("出雲", "izumo"), ("紀州", "kishu"),
    ("丸和", "maruwa"), ("共栄", "kyoei"), ("新星", "shinsei"), ("東亜", "toa"),
    ("三協", "sankyo"), ("日進", "nisshin"), ("協和", "kyowa"), ("明和", "meiwa"),
    ("北斗", "hokuto"), ("光洋", "koyo"), ("千代田", "chiyoda"), ("豊和", "howa"),
    ("中部", "chubu"), ("九州", "kyushu"), ("湘南", "shonan"), ("横浜", "yokohama"),
    ("神戸", "kobe"), ("札幌", "sapporo"), ("博多", "hakata"), ("金沢", "kanazawa"),
    ("琵琶湖", "biwako"), ("高千穂", "takachiho"),
)  # fmt: skip
_KANJI_WORDS = (
    ("精工", "seiko", "manufacturing"), ("電機", "denki", "manufacturing"),
    ("化学", "kagaku", "manufacturing"), ("製作所", "seisakusho", "manufacturing"),
    ("工業", "kogyo", "manufacturing"), ("精密", "seimitsu", "manufacturing"),
    ("金属", "kinzoku", "manufacturing"), ("電子", "denshi", "manufacturing"),
    ("製薬", "seiyaku", "healthcare"), ("薬品", "yakuhin", "healthcare"),
    ("食品", "shokuhin", "food"), ("製菓", "seika", "food"),
    ("商事", "shoji", "wholesale"), ("物産", "bussan", "wholesale"),
    ("物流", "butsuryu", "logistics"), ("運輸", "unyu", "logistics"),
    ("海運", "kaiun", "logistics"), ("建設", "kensetsu", "construction"),
    ("不動産", "fudosan", "construction"), ("地所", "jisho", "construction"),
    ("銀行", "bank", "finance"), ("証券", "shoken", "finance"),
    ("信託", "shintaku", "finance"), ("損害保険", "sonpo", "finance"),
    ("情報システム", "joho-system", "it"), ("通信", "tsushin", "it"),
    ("電算", "densan", "it"), ("百貨店", "hyakkaten", "retail"),
    ("ストア", "store", "retail"), ("印刷", "insatsu", "services"),
    ("総研", "soken", "services"), ("広告", "kokoku", "media"),
    ("放送", "hoso", "media"), ("電力", "denryoku", "energy"),
    ("瓦斯", "gas", "energy"),
)  # fmt: skip
_KANA_PREFIXES = (
    ("ミドリ", "midori"), ("サクラ", "sakura"), ("アオバ", "aoba"),
    ("ヒカリ", "hikari"), ("ミライ", "mirai"), ("アスカ", "asuka"),
    ("ツバサ", "tsubasa"), ("ソラ", "sora"),
    ("カエデ", "kaede"), ("アカネ", "akane"), ("ネクスト", "next"),
    ("グローバル", "global"), ("ユニ", "uni"), ("アーバン", "urban"),
    ("クラウド", "cloud"), ("スマート", "smart"), ("デジタル", "digital"),
    ("ブルー", "blue"), ("プライム", "prime"), ("ハーモニー", "harmony"),
    ("エコー", "echo"), ("ノーザン", "northern"), ("ウェーブ", "wave"),
    ("フューチャー", "future"), ("トラスト", "trust"), ("リンク", "link"),
    ("パシフィック", "pacific"), ("コア", "core"),
)  # fmt: skip
_KANA_WORDS = (
    ("テック", "tech", "it"), ("ソフト", "soft", "it"), ("システムズ", "systems", "it"),
    ("ソリューションズ", "solutions", "services"), ("ネットワークス", "networks", "it"),
    ("データ", "data", "it"), ("ロジスティクス", "logistics", "logistics"),
    ("メディカル", "medical", "healthcare"), ("フーズ", "foods", "food"),
    ("マテリアル", "material", "manufacturing"), ("エナジー", "energy", "energy"),
    ("ファイナンス", "finance", "finance"), ("リテール", "retail", "retail"),
    ("ラボ", "lab", "it"), ("ワークス", "works", "manufacturing"),
    ("デザイン", "design", "services"), ("ホーム", "home", "construction"),
    ("メディア", "media", "media"),
    ("エンジニアリング", "engineering", "manufacturing"),
)  # fmt: skip
_EN_PREFIXES = (
    "Acme", "Apex", "Summit", "Pioneer", "Horizon", "Vertex", "Redwood", "Silverline",
    "Brightpath", "Clearwater", "Ironwood", "Lakeside", "Northstar", "Evergreen",
    "Keystone", "Harbor", "Granite", "Sterling", "Atlas", "Beacon", "Cedar", "Falcon",
    "Quantum", "Nimbus", "Orbit", "Cascade", "Meridian", "Bluewave", "Crescent",
    "Frontier", "Highland", "Juniper", "Lumen", "Oakridge", "Pinnacle", "Riverbend",
    "Skyline", "Trident", "Westbrook", "Goldleaf",
)  # fmt: skip
_EN_WORDS = (
    ("Robotics", "manufacturing"), ("Software", "it"), ("Systems", "it"),
    ("Analytics", "it"), ("Cloud", "it"), ("Networks", "it"),
    ("Logistics", "logistics"),
    ("Health", "healthcare"), ("Therapeutics", "healthcare"), ("Foods", "food"),
    ("Capital", "finance"), ("Financial", "finance"), ("Insurance", "finance"),
    ("Retail", "retail"), ("Labs", "it"), ("Energy", "energy"),
    ("Materials", "manufacturing"), ("Industries", "manufacturing"),
    ("Media", "media"), ("Consulting", "services"), ("Partners", "services"),
    ("Realty", "construction"),
)  # fmt: skip

# English legal forms by country; Japanese subsidiaries of foreign firms
# write "<Name> Japan K.K." or "<Name> Japan G.K.".
_EN_LEGAL_FORMS = {
    "United States": ("Inc.", "Inc.", "LLC", "Corp.", "Corporation"),
    "United Kingdom": ("Ltd.", "Ltd.", "plc"),
    "Germany": ("GmbH", "GmbH", "AG"),
    "France": ("SAS", "S.A."),
    "Singapore": ("Pte. Ltd.",),
    "Australia": ("Pty Ltd",),
    "Japan": ("Japan K.K.", "Japan K.K.", "Japan G.K."),
}

# Japanese legal forms: (text, position, weight). (株) and ㈱ are rare in
# master data but common in what people type into forms.
_JA_LEGAL_FORMS = (
    ("株式会社", "front", 46),
    ("株式会社", "back", 44),
    ("有限会社", "back", 3),
    ("合同会社", "back", 3),
    ("(株)", "front", 2),
    ("㈱", "back", 1),
    ("㈱", "front", 1),
)


@dataclass(frozen=True)
class CompanyStem:
    """A company name without its legal form, and the label its domain uses."""

    text: str
    slug: str
    industry: str
    language: str  # ja | en


def _all_stems() -> list[CompanyStem]:
    stems = [
        CompanyStem(prefix + word, f"{roman}-{word_roman}", industry, "ja")
        for prefix, roman in _KANJI_PREFIXES
        for word, word_roman, industry in _KANJI_WORDS
    ]
    stems += [
        CompanyStem(prefix + word, f"{roman}-{word_roman}", industry, "ja")
        for prefix, roman in _KANA_PREFIXES
        for word, word_roman, industry in _KANA_WORDS
    ]
    stems += [
        CompanyStem(f"{prefix} {word}", f"{prefix}-{word}".lower(), industry, "en")
        for prefix in _EN_PREFIXES
        for word, industry in _EN_WORDS
    ]
    return stems


ALL_STEMS = _all_stems()


# Qualifiers that tell apart companies sharing a stem once the pool of
# stems runs out (large demo sizes): 関西北浜精工, Acme Robotics Group.
_JA_QUALIFIERS = (
    ("関西", "kansai"), ("東日本", "higashinihon"), ("西日本", "nishinihon"),
    ("中部", "chubu"), ("九州", "kyushu"), ("北海道", "hokkaido"), ("東北", "tohoku"),
    ("首都圏", "shutoken"), ("東海", "tokai"), ("北関東", "kitakanto"),
    ("信越", "shinetsu"), ("四国", "shikoku"), ("山陰", "sanin"), ("京阪", "keihan"),
    ("南海", "nankai"), ("沖縄", "okinawa"), ("新日本", "shinnihon"),
    ("第一", "daiichi"), ("大日本", "dainihon"), ("日本", "nihon"),
)  # fmt: skip
_EN_QUALIFIERS = (
    "Group", "Global", "International", "Holdings", "Technologies", "Solutions",
    "Worldwide", "America", "Pacific", "Europe", "Digital", "Services",
    "Enterprises", "Ventures", "Works", "Direct", "One", "Plus", "Labs", "Co",
)  # fmt: skip


def sample_stems(
    rng: np.random.Generator, count: int, language: str
) -> list[CompanyStem]:
    """Pick ``count`` stems of one language, distinct while qualifiers last.

    Each pass over the pool adds the next qualifier; past the last one,
    stems repeat (only the largest benchmark sizes get there).
    """
    pool = np.array([i for i, s in enumerate(ALL_STEMS) if s.language == language])
    picked: list[CompanyStem] = []
    round_number = 0
    while len(picked) < count:
        take = min(count - len(picked), len(pool))
        for index in rng.choice(pool, take, replace=False):
            picked.append(_qualified(ALL_STEMS[index], round_number))
        round_number += 1
    return picked


def _qualified(stem: CompanyStem, round_number: int) -> CompanyStem:
    if round_number == 0:
        return stem
    if stem.language == "en":
        word = _EN_QUALIFIERS[(round_number - 1) % len(_EN_QUALIFIERS)]
        return CompanyStem(
            f"{stem.text} {word}", f"{stem.slug}-{word.lower()}", stem.industry, "en"
        )
    text, roman = _JA_QUALIFIERS[(round_number - 1) % len(_JA_QUALIFIERS)]
    return CompanyStem(
        text + stem.text, f"{roman}-{stem.slug}", stem.industry, stem.language
    )


def legal_name(stem: CompanyStem, country: str, rng: np.random.Generator) -> str:
    """Return the name as the company's master record writes it."""
    if stem.language == "en":
        forms = _EN_LEGAL_FORMS[country]
        return f"{stem.text} {forms[int(rng.integers(len(forms)))]}"
    weights = np.array([w for _, _, w in _JA_LEGAL_FORMS], dtype=float)
    form, position, _ = _JA_LEGAL_FORMS[rng.choice(len(weights), p=weights / 100)]
    return form + stem.text if position == "front" else stem.text + form


def name_variant(name: str, stem: CompanyStem, rng: np.random.Generator) -> str:
    """Return how a person typing into a form might spell their company."""
    roll = rng.random()
    if stem.language == "en":
        if roll < 0.6:
            return name
        if roll < 0.8:
            return stem.text
        return name.upper() if roll < 0.9 else name.replace(" Inc.", ", Inc.")
    if roll < 0.5:
        return name
    if roll < 0.7:
        return stem.text
    if roll < 0.82:
        return "(株)" + stem.text
    if roll < 0.88:
        return stem.text + "（株）"
    if roll < 0.94 and "ー" in stem.text:
        return name.replace("ー", "-")
    return _half_width_kana(name) if roll < 0.97 else "株式会社 " + stem.text


def _half_width_kana(text: str) -> str:
    """Write full-width katakana as half-width, as old systems export it."""
    out = []
    for char in text:
        half = _HALF_WIDTH.get(char)
        out.append(half if half else char)
    return "".join(out)


def _half_width_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for code in range(0xFF66, 0xFF9E):
        half = chr(code)
        table[unicodedata.normalize("NFKC", half)] = half
    # Voiced kana (ガ, バ, パ) are a base kana plus a half-width mark.
    for base, half in list(table.items()):
        for mark, half_mark in (("\u3099", "ﾞ"), ("\u309a", "ﾟ")):
            voiced = unicodedata.normalize("NFC", base + mark)
            if len(voiced) == 1 and voiced != base:
                table[voiced] = half + half_mark
    return table


_HALF_WIDTH = _half_width_table()

# (kanji, romaji) surnames, most common first; chosen with Zipf-like weights.
JA_LAST_NAMES = (
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
    ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
    ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
    ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"),
    ("井上", "inoue"), ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"),
    ("清水", "shimizu"), ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"),
    ("橋本", "hashimoto"), ("阿部", "abe"), ("石川", "ishikawa"), ("山下", "yamashita"),
    ("中島", "nakajima"), ("石井", "ishii"), ("小川", "ogawa"), ("前田", "maeda"),
    ("岡田", "okada"), ("長谷川", "hasegawa"), ("藤田", "fujita"), ("後藤", "goto"),
    ("近藤", "kondo"), ("村上", "murakami"), ("遠藤", "endo"), ("青木", "aoki"),
    ("坂本", "sakamoto"),
)  # fmt: skip
JA_FIRST_NAMES = (
    ("太郎", "taro"), ("健", "ken"), ("翔太", "shota"), ("大輔", "daisuke"),
    ("拓也", "takuya"), ("直樹", "naoki"), ("誠", "makoto"), ("浩", "hiroshi"),
    ("隆", "takashi"), ("健太", "kenta"), ("達也", "tatsuya"), ("和也", "kazuya"),
    ("亮", "ryo"), ("悠斗", "yuto"), ("蓮", "ren"), ("花子", "hanako"),
    ("美咲", "misaki"), ("陽子", "yoko"), ("恵", "megumi"), ("由美", "yumi"),
    ("彩", "aya"), ("愛", "ai"), ("真由美", "mayumi"), ("裕子", "yuko"),
    ("麻衣", "mai"), ("千尋", "chihiro"), ("さくら", "sakura"), ("葵", "aoi"),
    ("結衣", "yui"), ("智子", "tomoko"),
)  # fmt: skip
EN_FIRST_NAMES = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
    "David", "Elizabeth", "William", "Susan", "Daniel", "Sarah", "Thomas", "Karen",
    "Christopher", "Emily", "Matthew", "Jessica", "Anthony", "Laura", "Mark", "Anna",
    "Lukas", "Sophie", "Wei", "Priya", "Oliver", "Chloe",
)  # fmt: skip
EN_LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Lee", "Thompson",
    "White", "Harris", "Clark", "Lewis", "Walker", "Young", "King", "Wright", "Scott",
    "Müller", "Schmidt", "Dubois", "Tan", "Nguyen",
)  # fmt: skip


@dataclass(frozen=True)
class Title:
    """A job title with its department; persona is what the demo intends."""

    text: str
    department: str | None
    persona: Persona
    weight: float


def _titles(rows: tuple[tuple[str, str | None, Persona, float], ...]) -> list[Title]:
    return [Title(*row) for row in rows]


_DM, _INF, _USER, _UNKNOWN = (
    Persona.DECISION_MAKER,
    Persona.INFLUENCER,
    Persona.USER,
    Persona.UNKNOWN,
)

JA_TITLES = _titles(
    (
        ("代表取締役社長", "経営", _DM, 1.5),
        ("取締役", "経営", _DM, 1.5),
        ("執行役員 CIO", "経営", _DM, 1),
        ("事業部長", "事業部", _DM, 2),
        ("情報システム部 部長", "情報システム部", _DM, 3),
        ("マーケティング部 部長", "マーケティング部", _DM, 2.5),
        ("営業本部長", "営業本部", _DM, 2),
        ("情報システム部 課長", "情報システム部", _INF, 6),
        ("マーケティング部 課長", "マーケティング部", _INF, 5),
        ("営業企画課 課長", "営業企画部", _INF, 4),
        ("DX推進室 室長", "DX推進室", _INF, 3),
        ("営業部 マネージャー", "営業部", _INF, 4),
        ("主任", None, _INF, 4),
        ("係長", None, _INF, 3),
        ("プロジェクトリーダー", "情報システム部", _INF, 2),
        ("営業部 担当", "営業部", _USER, 9),
        ("マーケティング部 担当", "マーケティング部", _USER, 9),
        ("情報システム部 担当", "情報システム部", _USER, 8),
        ("インサイドセールス担当", "営業部", _USER, 6),
        ("システムエンジニア", "情報システム部", _USER, 7),
        ("営業スタッフ", "営業部", _USER, 4),
        ("総務部", "総務部", _UNKNOWN, 3),
        ("顧問", None, _UNKNOWN, 1),
        ("", None, _UNKNOWN, 5),
    )
)
EN_TITLES = _titles(
    (
        ("CEO", "Executive", _DM, 1.5),
        ("CTO", "Executive", _DM, 1.5),
        ("CMO", "Marketing", _DM, 1.5),
        ("VP of Sales", "Sales", _DM, 2),
        ("Director of IT", "IT", _DM, 2.5),
        ("Director, Marketing Operations", "Marketing", _DM, 2),
        ("Head of Revenue Operations", "Sales", _DM, 1.5),
        ("Marketing Manager", "Marketing", _INF, 7),
        ("IT Manager", "IT", _INF, 6),
        ("Sales Manager", "Sales", _INF, 5),
        ("Solutions Architect", "IT", _INF, 3),
        ("Team Lead, Demand Generation", "Marketing", _INF, 3),
        ("Principal Engineer", "Engineering", _INF, 2),
        ("Software Engineer", "Engineering", _USER, 8),
        ("Marketing Specialist", "Marketing", _USER, 8),
        ("Sales Representative", "Sales", _USER, 7),
        ("Data Analyst", "IT", _USER, 6),
        ("Systems Administrator", "IT", _USER, 5),
        ("Marketing Coordinator", "Marketing", _USER, 4),
        ("Consultant", None, _UNKNOWN, 3),
        ("", None, _UNKNOWN, 5),
    )
)


def title_weights(titles: list[Title]) -> np.ndarray:
    weights = np.array([title.weight for title in titles])
    return weights / weights.sum()


def zipf_weights(count: int, exponent: float = 0.8) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum()
