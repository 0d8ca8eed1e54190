"""The key-account KPIs (domain §8, issue 7 point 6): one book of per-account, per-month
facts for the key accounts a user sees, from which every figure of every dashboard,
league table, drill-down, report and API answer is summed.

A period is a month, or a year to date (January to the month). The *opening book* is the
month before the period starts, the *closing book* the period's last month:

- retention by count: of the key accounts billed in the opening month, the share still
  billed in the closing month and not lost (a retention case closed as lost in the period);
- retention by revenue: over the same accounts, the closing month's revenue kept, each
  account capped at its opening revenue (growth is not retention), over the opening
  revenue;
- satisfaction: callbacks answered in the period (done, not unreachable) and survey
  answers of the period that were satisfied, over those answered;
- new key accounts: billed in the closing month and not in the opening month;
- revenue growth: the closing month's revenue over the opening month's, less one;
- average customer value: the closing month's revenue per key account billed in it;
- SLA on time: provisioning orders activated in the period by their deadline, over those
  activated;
- callback coverage: callbacks due in the period (and due by today, or done) that were
  done by their due day, over those due (the rule of the service desk's coverage);
- visit compliance: planned visits and calls due in the period (due by today, or done)
  that were done, over those due (the rule of the visit part's compliance);
- warning response: churn warnings raised in the period (their acknowledgement due by
  today, or acknowledged) acknowledged by their due day, over those.

Every account counts for its current AM (owner) and industry group. A fixed number of
queries whatever the number of accounts or months (see `book_load`)."""

from telekam.dashboards.kpis.book import (
    BOOK_KPIS,
    COUNTED,
    AccountRef,
    Book,
    book_load,
    key_accounts_visible_to,
)
from telekam.dashboards.kpis.definitions import (
    CENT,
    KPI_INFO,
    KPIS,
    TENTH,
    ZERO,
    Kpi,
    KpiInfo,
    Period,
    PeriodKind,
    month_add,
    month_first,
    month_last_day,
    period_of,
)
from telekam.dashboards.kpis.figures import (
    EVERYONE,
    AccountFacts,
    DrillLine,
    Figure,
    Scope,
    account_facts,
    drill,
    facts_in,
    figure,
    figures,
    league,
    sum_figures,
    trend,
    window_for,
)

__all__ = [
    "BOOK_KPIS", "CENT", "COUNTED", "EVERYONE", "KPIS", "KPI_INFO", "TENTH", "ZERO",
    "AccountFacts", "AccountRef", "Book", "DrillLine", "Figure", "Kpi", "KpiInfo", "Period",
    "PeriodKind", "Scope", "account_facts", "book_load", "drill", "facts_in", "figure",
    "figures", "key_accounts_visible_to", "league", "month_add", "month_first",
    "month_last_day", "period_of", "sum_figures", "trend", "window_for",
]  # fmt: skip
