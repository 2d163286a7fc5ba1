"""The MQA handoff: from marketing to sales, with evidence and an SLA.

When an account's engagement score crosses ``engagement.mqa_threshold``, a
handoff is recorded with its evidence (:mod:`.detection`) and notified
(:mod:`abmkpi.notify`). The SLA to the first sales activity is tracked in
:mod:`.sla`, and :mod:`.records` lists and acknowledges handoffs.
"""
