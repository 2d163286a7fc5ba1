"""English column labels of Salesforce report exports, by object and API field.

The labels are the field labels of Salesforce's Field Reference Guide
(developer.salesforce.com, "salesforce-field-reference-<object>"), older
labels that report types still show ("Converted Account" before "Converted
Account ID"), and the column names of the standard report types ("Opportunity
Name" for Opportunity.Name, "Stage" for StageName). A label equal to its API
name (``Amount``, ``Industry``) is left out, because API names always match.
Headers are compared after NFKC normalization and case folding (see
:func:`.report.normalize_label`).
"""

from __future__ import annotations

LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "Account": {
        "Id": ("Account ID",),
        "Name": ("Account Name",),
        "NumberOfEmployees": ("Employees",),
        "AnnualRevenue": ("Annual Revenue",),
        "BillingCountry": ("Billing Country",),
        "BillingState": ("Billing State/Province", "Billing State"),
        "ShippingCountry": ("Shipping Country",),
        "ShippingState": ("Shipping State/Province", "Shipping State"),
        "ParentId": ("Parent Account ID",),
        "OwnerId": ("Account Owner",),
        "Type": ("Account Type",),
        "CreatedDate": ("Created Date",),
    },
    "Contact": {
        "Id": ("Contact ID",),
        "AccountId": ("Account ID",),
        "Name": ("Contact Name", "Full Name"),
        "FirstName": ("First Name",),
        "LastName": ("Last Name",),
        "LeadSource": ("Lead Source",),
        "MailingState": ("Mailing State/Province", "Mailing State"),
        "MailingCountry": ("Mailing Country",),
        "CreatedDate": ("Created Date",),
    },
    "Lead": {
        "Id": ("Lead ID",),
        "Name": ("Full Name", "Lead Name"),
        "FirstName": ("First Name",),
        "LastName": ("Last Name",),
        "Company": ("Company / Account",),
        "State": ("State/Province",),
        "Status": ("Lead Status",),
        "LeadSource": ("Lead Source",),
        "IsConverted": ("Converted",),
        "ConvertedContactId": ("Converted Contact ID", "Converted Contact"),
        "ConvertedAccountId": ("Converted Account ID", "Converted Account"),
        "CreatedDate": ("Created Date",),
    },
    "Opportunity": {
        "Id": ("Opportunity ID",),
        "AccountId": ("Account ID",),
        "Name": ("Opportunity Name",),
        "Type": ("Opportunity Type",),
        "CurrencyIsoCode": ("Opportunity Currency", "Amount Currency", "Currency"),
        "CreatedDate": ("Created Date",),
        "CloseDate": ("Close Date",),
        "StageName": ("Stage",),
        "IsClosed": ("Closed",),
        "IsWon": ("Won",),
        "Probability": ("Probability (%)",),
        "OwnerId": ("Opportunity Owner", "Owner"),
        "LeadSource": ("Lead Source",),
        "CampaignId": ("Campaign ID",),
    },
    "Campaign": {
        "Id": ("Campaign ID",),
        "Name": ("Campaign Name",),
        "StartDate": ("Start Date",),
        "EndDate": ("End Date",),
        "ActualCost": ("Actual Cost in Campaign", "Actual Cost"),
        "BudgetedCost": ("Budgeted Cost in Campaign", "Budgeted Cost"),
        "CurrencyIsoCode": ("Campaign Currency", "Currency ISO Code", "Currency"),
        "ParentId": ("Parent Campaign ID", "Parent Campaign"),
    },
    "Task": {
        "Id": ("Activity ID",),
        "WhoId": ("Name ID", "Contact ID", "Lead ID"),
        "WhatId": ("Related To ID",),
        "AccountId": ("Account ID",),
        "ActivityDate": ("Due Date Only", "Due Date", "Date"),
        "TaskSubtype": ("Task Subtype",),
        "IsClosed": ("Closed",),
        "CompletedDateTime": ("Completed Date/Time",),
        "CreatedDate": ("Created Date",),
        "IsTask": ("Task",),
    },
    "Event": {
        "Id": ("Activity ID",),
        "WhoId": ("Name ID", "Contact ID", "Lead ID"),
        "WhatId": ("Related To ID",),
        "AccountId": ("Account ID",),
        "ActivityDate": ("Due Date Only", "Date"),
        "StartDateTime": ("Start Date Time", "Start"),
        "ActivityDateTime": ("Due Date Time",),
        "IsAllDayEvent": ("All-Day Event",),
        "IsChild": ("Is Child",),
        "EventSubtype": ("Event Subtype",),
        "CreatedDate": ("Created Date",),
        "IsTask": ("Task",),
    },
    "Contract": {
        "Id": ("Contract ID",),
        "AccountId": ("Account ID",),
        "StartDate": ("Contract Start Date",),
        "EndDate": ("Contract End Date",),
        "ContractTerm": ("Contract Term (months)", "Contract Term"),
        "CurrencyIsoCode": ("Contract Currency", "Currency"),
        "ContractNumber": ("Contract Number",),
    },
}

# Columns that identify a report's object, tried in the order of this table.
# Other reports show "Account ID" or "Contact ID" too, so the objects they
# point to come after them.
KEY_LABELS: dict[str, tuple[str, ...]] = {
    "Opportunity": ("Opportunity ID", "Opportunity Name"),
    "Activity": ("Activity ID",),
    "Contract": ("Contract ID", "Contract Number"),
    "Campaign": ("Campaign ID", "Campaign Name"),
    "Lead": ("Lead ID", "Lead Status", "Company / Account"),
    "Contact": ("Contact ID", "Contact Name"),
    "Account": ("Account ID", "Account Name"),
}

# The first value of a summary report's total rows: "Total", "Grand Totals
# (12 records)".
TOTAL_ROW_WORDS = ("total", "grand totals", "subtotal")
