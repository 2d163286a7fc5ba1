"""Fixed vocabularies of the demo: industries, places, web pages, assets, subjects.

Japanese labels go to companies located in Japan and English labels to the
others, as a Japanese Salesforce org with global accounts would hold them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Industry:
    key: str
    label_ja: str
    label_en: str


INDUSTRIES = {
    industry.key: industry
    for industry in (
        Industry("manufacturing", "製造業", "Manufacturing"),
        Industry("it", "IT・通信", "Information Technology"),
        Industry("finance", "金融", "Financial Services"),
        Industry("retail", "小売", "Retail"),
        Industry("wholesale", "卸売・商社", "Wholesale"),
        Industry("construction", "建設・不動産", "Construction & Real Estate"),
        Industry("healthcare", "医療・製薬", "Healthcare & Pharma"),
        Industry("logistics", "運輸・物流", "Transportation & Logistics"),
        Industry("services", "サービス", "Professional Services"),
        Industry("energy", "エネルギー", "Energy & Utilities"),
        Industry("food", "食品", "Food & Beverage"),
        Industry("media", "メディア・広告", "Media & Advertising"),
    )
}

# Industries the demo ICP favours; targets are drawn mostly from them.
ICP_INDUSTRIES = ("manufacturing", "it", "finance")


@dataclass(frozen=True)
class Place:
    """Location of an account: country, sales region, state and time zone."""

    country: str
    region: str
    state: str | None
    time_zone: str
    currency: str
    weight: float


# Prefectures weighted roughly by where Japanese B2B buyers sit.
JAPAN_PLACES = (
    Place("Japan", "関東", "東京都", "Asia/Tokyo", "JPY", 36),
    Place("Japan", "関東", "神奈川県", "Asia/Tokyo", "JPY", 8),
    Place("Japan", "関東", "埼玉県", "Asia/Tokyo", "JPY", 3),
    Place("Japan", "関東", "千葉県", "Asia/Tokyo", "JPY", 3),
    Place("Japan", "関東", "茨城県", "Asia/Tokyo", "JPY", 1.5),
    Place("Japan", "関西", "大阪府", "Asia/Tokyo", "JPY", 12),
    Place("Japan", "関西", "兵庫県", "Asia/Tokyo", "JPY", 4),
    Place("Japan", "関西", "京都府", "Asia/Tokyo", "JPY", 3),
    Place("Japan", "中部", "愛知県", "Asia/Tokyo", "JPY", 8),
    Place("Japan", "中部", "静岡県", "Asia/Tokyo", "JPY", 3),
    Place("Japan", "中部", "長野県", "Asia/Tokyo", "JPY", 1.5),
    Place("Japan", "中部", "新潟県", "Asia/Tokyo", "JPY", 1.5),
    Place("Japan", "九州・沖縄", "福岡県", "Asia/Tokyo", "JPY", 4),
    Place("Japan", "九州・沖縄", "熊本県", "Asia/Tokyo", "JPY", 1),
    Place("Japan", "北海道・東北", "北海道", "Asia/Tokyo", "JPY", 3),
    Place("Japan", "北海道・東北", "宮城県", "Asia/Tokyo", "JPY", 2),
    Place("Japan", "中国・四国", "広島県", "Asia/Tokyo", "JPY", 2),
    Place("Japan", "中国・四国", "岡山県", "Asia/Tokyo", "JPY", 1),
    Place("Japan", "中国・四国", "香川県", "Asia/Tokyo", "JPY", 1),
)

FOREIGN_PLACES = (
    Place("United States", "North America", "CA", "America/Los_Angeles", "USD", 16),
    Place("United States", "North America", "WA", "America/Los_Angeles", "USD", 5),
    Place("United States", "North America", "NY", "America/New_York", "USD", 12),
    Place("United States", "North America", "MA", "America/New_York", "USD", 6),
    Place("United States", "North America", "GA", "America/New_York", "USD", 3),
    Place("United States", "North America", "TX", "America/Chicago", "USD", 7),
    Place("United States", "North America", "IL", "America/Chicago", "USD", 5),
    Place("United Kingdom", "EMEA", "England", "Europe/London", "USD", 9),
    Place("Germany", "EMEA", "Bayern", "Europe/Berlin", "EUR", 5),
    Place("Germany", "EMEA", "Berlin", "Europe/Berlin", "EUR", 4),
    Place("France", "EMEA", "Île-de-France", "Europe/Paris", "EUR", 5),
    Place("Singapore", "APAC", None, "Asia/Singapore", "USD", 12),
    Place("Australia", "APAC", "NSW", "Australia/Sydney", "USD", 5),
    Place("Australia", "APAC", "VIC", "Australia/Melbourne", "USD", 3),
)

# Top-level domain of company web sites by country.
COUNTRY_TLDS = {
    "Japan": (".co.jp", ".co.jp", ".co.jp", ".jp", ".com"),
    "United States": (".com", ".com", ".com", ".io"),
    "United Kingdom": (".co.uk", ".com"),
    "Germany": (".de", ".com"),
    "France": (".fr", ".com"),
    "Singapore": (".com.sg", ".com"),
    "Australia": (".com.au", ".com"),
}

# Free-mail providers with relative weights, for Japanese and other people.
FREE_MAIL_DOMAINS_JA = (
    ("gmail.com", 40),
    ("yahoo.co.jp", 30),
    ("outlook.jp", 8),
    ("icloud.com", 10),
    ("docomo.ne.jp", 7),
    ("hotmail.co.jp", 5),
)
FREE_MAIL_DOMAINS_EN = (
    ("gmail.com", 55),
    ("outlook.com", 20),
    ("hotmail.com", 10),
    ("icloud.com", 10),
    ("yahoo.com", 5),
)

# Web pages of the vendor's own site (the company running this ABM program).
WEB_PAGES = (
    ("/", 20),
    ("/product", 8),
    ("/product/abm-platform", 6),
    ("/product/analytics", 4),
    ("/features/engagement-scoring", 4),
    ("/features/intent-data", 3),
    ("/pricing", 5),
    ("/case-studies", 4),
    ("/blog/abm-basics", 6),
    ("/blog/kpi-design", 5),
    ("/blog/intent-data-101", 4),
    ("/blog/ma-sfa-integration", 5),
    ("/resources", 4),
    ("/webinars", 4),
    ("/company", 2),
    ("/careers", 2),
    ("/en/", 3),
    ("/en/product", 2),
)

# Gated assets that do not move an account closer to buying.
GENERAL_ASSETS = (
    "ホワイトペーパー: ABM実践ガイド",
    "ホワイトペーパー: MAとSFA連携の基本",
    "eBook: インテントデータ活用入門",
    "調査レポート: BtoBマーケティング実態調査2024",
    "チェックリスト: KPI形骸化を防ぐ10項目",
    "Whitepaper: The ABM Playbook",
    "eBook: Building a Revenue Operations Team",
    "Report: State of B2B Marketing",
)

# Assets a buyer reads shortly before talking to sales; downloads of these
# are predictive in the opportunity model.
PRICING_ASSETS = (
    "料金表 (Pricing Sheet)",
    "ROI試算シート",
    "Pricing & Packaging Overview",
)
CASE_STUDY_TITLES_JA = "導入事例: {name}様"
CASE_STUDY_TITLES_EN = "Case Study: {name}"

FORM_PAGES = (
    "/webinar/register",
    "/download/whitepaper",
    "/newsletter/subscribe",
    "/event/register",
)

INTENT_TOPICS = (
    "Account-Based Marketing",
    "Marketing Automation",
    "Intent Data",
    "Customer Data Platform",
    "Sales Intelligence",
    "CRM",
)

WEBINAR_TOPICS_JA = (
    "ABM実践入門",
    "ターゲットアカウントの選び方",
    "MAとSFAをつなぐKPI設計",
    "インテントデータで商談を増やす",
    "営業とマーケティングの連携",
    "製造業のデジタルマーケティング",
    "インサイドセールス立ち上げ",
    "ABMのKPIを形骸化させない方法",
)
WEBINAR_TOPICS_EN = (
    "ABM Fundamentals",
    "Choosing Target Accounts",
    "Pipeline Metrics That Matter",
    "Intent Data in Practice",
)

EVENT_NAMES = (
    "ITソリューション展 東京",
    "デジタルマーケティングEXPO",
    "製造業DX展",
    "ABMカンファレンス Tokyo",
    "SaaS Summit Singapore",
    "ユーザー会 Customer Summit",
    "パートナーデイ大阪",
    "ITソリューション展 関西",
)

SALES_SUBJECTS = {
    "discovery": ("初回ヒアリング", "製品デモ", "Discovery meeting", "Product demo"),
    "meeting": (
        "要件確認ミーティング",
        "提案説明",
        "見積内容のご説明",
        "契約条件の調整",
        "Proposal review",
        "Executive alignment",
    ),
    "call": ("フォローアップ電話", "日程調整", "Follow-up call", "Check-in call"),
    "email": ("資料送付", "お見積りの送付", "Follow-up", "Meeting recap"),
}

NPS_COMMENTS = {
    "promoter": (
        "サポートの対応が早くて助かっています",
        "営業とマーケの会話が増えました",
        "ダッシュボードが見やすい",
        "Great onboarding experience",
        "The account scoring changed how our team works",
    ),
    "passive": (
        "機能は十分だが設定が難しい",
        "レポートの種類をもっと増やしてほしい",
        "Good product, reporting could be better",
    ),
    "detractor": (
        "価格が高い",
        "データ連携でエラーが多い",
        "社内で使われなくなってきた",
        "Too hard to set up",
        "Support response times are slow",
    ),
}

PRODUCTS = (
    ("ABM Platform Standard", 0.5),
    ("ABM Platform Enterprise", 0.3),
    ("Analytics Add-on", 0.1),
    ("Intent Data Add-on", 0.1),
)

# Fixed Japanese holidays and the weeks companies slow down; dates are
# (month, day). Moving holidays (equinoxes, Happy Mondays) are left out.
JAPAN_HOLIDAYS = frozenset(
    {
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 11),
        (2, 23),
        (4, 29),
        (5, 3),
        (5, 4),
        (5, 5),
        (8, 13),
        (8, 14),
        (8, 15),
        (8, 16),
        (11, 3),
        (11, 23),
        (12, 29),
        (12, 30),
        (12, 31),
    }
)
WESTERN_HOLIDAYS = frozenset({(1, 1), (12, 24), (12, 25), (12, 26), (12, 31)})
