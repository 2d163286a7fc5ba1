"""Japanese column labels of Salesforce report exports, by object and API field.

The labels are the standard field labels of Salesforce's Japanese user
interface (取引先名, 商談 ID, フェーズ, 完了予定日, 確度 (%)), including the
object-qualified forms that report types show (商談 所有者, 取引先 種別).
Headers are compared after NFKC normalization and case folding, and
without the spaces next to Japanese text (see :func:`.report.normalize_label`),
so 取引先ID matches 取引先 ID and full-width （％） matches (%).

NOTE: not every label here was checked against a real Japanese export, and
an org that renamed a tab or field (商談 → 案件) exports its own labels. The
import summary lists every column it did not read, so a missing label shows.
"""

from __future__ import annotations

LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "Account": {
        "Id": ("取引先 ID",),
        "Name": ("取引先名",),
        "Website": ("Web サイト",),
        "Industry": ("業種",),
        "NumberOfEmployees": ("従業員数",),
        "AnnualRevenue": ("売上高", "年間売上"),
        "BillingCountry": ("請求先国",),
        "BillingState": ("請求先都道府県",),
        "ShippingCountry": ("納入先国",),
        "ShippingState": ("納入先都道府県",),
        "ParentId": ("親取引先 ID",),
        "OwnerId": ("取引先 所有者", "所有者"),
        "Type": ("取引先 種別", "種別"),
        "CreatedDate": ("作成日",),
    },
    "Contact": {
        "Id": ("取引先責任者 ID",),
        "AccountId": ("取引先 ID",),
        "Name": ("取引先責任者名", "氏名"),
        "FirstName": ("名",),
        "LastName": ("姓",),
        "Email": ("メール",),
        "Title": ("役職",),
        "Department": ("部署",),
        "LeadSource": ("リードソース",),
        "MailingState": ("郵送先都道府県",),
        "MailingCountry": ("郵送先国",),
        "CreatedDate": ("作成日",),
    },
    "Lead": {
        "Id": ("リード ID",),
        "Name": ("氏名", "名前"),
        "FirstName": ("名",),
        "LastName": ("姓",),
        "Company": ("会社名",),
        "Email": ("メール",),
        "Title": ("役職",),
        "Website": ("Web サイト",),
        "State": ("都道府県",),
        "Country": ("国",),
        "Status": ("リード状況", "状況"),
        "LeadSource": ("リードソース",),
        "IsConverted": ("取引開始済み",),
        "ConvertedContactId": ("取引開始後の取引先責任者 ID",),
        "ConvertedAccountId": ("取引開始後の取引先 ID",),
        "CreatedDate": ("作成日",),
    },
    "Opportunity": {
        "Id": ("商談 ID",),
        "AccountId": ("取引先 ID",),
        "Name": ("商談名",),
        "Type": ("種別", "商談 種別"),
        "Amount": ("金額",),
        "CurrencyIsoCode": ("通貨", "商談 通貨"),
        "CreatedDate": ("作成日",),
        "CloseDate": ("完了予定日",),
        "StageName": ("フェーズ",),
        "IsClosed": ("完了",),
        "IsWon": ("成立",),
        "Probability": ("確度 (%)",),
        "OwnerId": ("所有者", "商談 所有者"),
        "LeadSource": ("リードソース",),
        "CampaignId": ("キャンペーン ID",),
    },
    "Campaign": {
        "Id": ("キャンペーン ID",),
        "Name": ("キャンペーン名",),
        "Type": ("種別",),
        "Status": ("状況",),
        "StartDate": ("開始日",),
        "EndDate": ("終了日",),
        "ActualCost": ("実際のコスト",),
        "BudgetedCost": ("予算",),
        "CurrencyIsoCode": ("通貨", "キャンペーン 通貨"),
        "ParentId": ("親キャンペーン ID",),
    },
    "Task": {
        "Id": ("活動 ID",),
        "WhoId": ("名前 ID", "取引先責任者 ID", "リード ID"),
        "WhatId": ("関連先 ID",),
        "AccountId": ("取引先 ID",),
        "Subject": ("件名",),
        "Type": ("種別",),
        "ActivityDate": ("期日", "日付"),
        "Status": ("状況",),
        "IsClosed": ("完了",),
        "TaskSubtype": ("ToDo サブタイプ",),
        "CompletedDateTime": ("完了日時",),
        "CreatedDate": ("作成日",),
        "IsTask": ("ToDo",),
    },
    "Event": {
        "Id": ("活動 ID",),
        "WhoId": ("名前 ID", "取引先責任者 ID", "リード ID"),
        "WhatId": ("関連先 ID",),
        "AccountId": ("取引先 ID",),
        "Subject": ("件名",),
        "Type": ("種別",),
        "ActivityDate": ("日付",),
        "StartDateTime": ("開始日時", "開始"),
        "IsAllDayEvent": ("終日行動",),
        "EventSubtype": ("行動サブタイプ",),
        "CreatedDate": ("作成日",),
        "IsTask": ("ToDo",),
    },
    "Contract": {
        "Id": ("契約 ID",),
        "AccountId": ("取引先 ID",),
        "StartDate": ("契約開始日",),
        "EndDate": ("契約終了日",),
        "ContractTerm": ("契約期間 (月)", "契約期間"),
        "Status": ("状況",),
        "CurrencyIsoCode": ("通貨", "契約 通貨"),
        "ContractNumber": ("契約番号",),
    },
}

# Columns that identify a report's object, tried in the order of this table.
# Other reports show 取引先 ID or 取引先責任者 ID too, so the objects they
# point to come after them.
KEY_LABELS: dict[str, tuple[str, ...]] = {
    "Opportunity": ("商談 ID", "商談名"),
    "Activity": ("活動 ID", "件名"),
    "Contract": ("契約 ID", "契約番号"),
    "Campaign": ("キャンペーン ID", "キャンペーン名"),
    "Lead": ("リード ID", "会社名", "リード状況"),
    "Contact": ("取引先責任者 ID", "取引先責任者名"),
    "Account": ("取引先 ID", "取引先名"),
}

# The first value of a summary report's total rows (合計, 総計 (12 レコード)).
TOTAL_ROW_WORDS = ("合計", "総計", "小計")
