"""The call-record source: landing files in the lake, the daily aggregates, the weekly
signals and the warnings they raise (domain §7, source 3)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings

from telekam.accounts.models import Account, Competitor, ServiceInUse, ServiceStatus
from telekam.analytics import calls as engine_calls
from telekam.analytics import engine as analytics_engine
from telekam.analytics.ingest import (
    CallRules,
    IngestError,
    file_digest,
    ingest_file,
    match_day,
)
from telekam.analytics.lake import Lake
from telekam.retention.models import (
    CallRuleKind,
    ChurnThreshold,
    CompetitorRule,
    LocalAreaCode,
    Run,
    RunKind,
    RunStatus,
    Severity,
    WarningSource,
)
from telekam.retention.services.runs import Echo, run_recorded
from telekam.retention.services.warnings import thresholds_for, warning_raise

# Competitors as small integers in the lake (0 is our own network).
COMPETITOR_CODES: dict[str, int] = {value: i + 1 for i, value in enumerate(Competitor.values)}
COMPETITOR_NAMES: dict[int, str] = {code: value for value, code in COMPETITOR_CODES.items()}

PHONE_LINE = re.compile(r"[+0-9() \-]+")
WEEKS = 8  # the chart's span: this week and 7 before
BASELINE_WEEKS = (1, 2, 3, 4)  # the account's own trailing baseline


def lake() -> Lake:
    return Lake(Path(settings.TELEKAM_LAKE_DIR))


def call_rules() -> CallRules:
    prefixes: dict[str, int] = {}
    trunks: dict[str, int] = {}
    for rule in CompetitorRule.objects.filter(active=True):
        target = prefixes if rule.kind == CallRuleKind.PREFIX else trunks
        target[rule.value.strip()] = COMPETITOR_CODES[rule.competitor]
    codes = tuple(LocalAreaCode.objects.values_list("code", flat=True))
    return CallRules(prefixes=prefixes, trunks=trunks, local_area_codes=codes)


def lines_table() -> pa.Table:
    """The lines in use (digits only) and their accounts: what calls are matched on."""
    pairs = ServiceInUse.objects.exclude(status=ServiceStatus.CANCELLED).values_list(
        "number", "account_id"
    )
    lines, accounts = [], []
    seen: set[str] = set()
    for number, account_id in pairs.iterator(chunk_size=5000):
        # A telephone line is digits with separators ("010-6521 8888"); a circuit id such
        # as BJ-DC-1234567 is not a calling line.
        if not PHONE_LINE.fullmatch(number.strip()):
            continue
        digits = re.sub(r"\D", "", number)
        if len(digits) >= 5 and digits not in seen:
            seen.add(digits)
            lines.append(digits)
            accounts.append(account_id)
    return pa.table(
        {"line": pa.array(lines, pa.string()), "account_id": pa.array(accounts, pa.int64())}
    )


def calls_ingest(*, path: Path, actor: Any = None, echo: Echo | None = None) -> Run:
    """Land one call-record file (CSV or Parquet). The same file (by content) a second time
    is recorded as skipped and changes nothing. A file that cannot be read at all ends as a
    failed run with the reason; bad rows are quarantined and counted."""
    path = Path(path)
    digest = file_digest(path)
    earlier = Run.objects.filter(
        kind=RunKind.INGEST_CALLS, status=RunStatus.DONE, sha256=digest
    ).first()
    if earlier is not None:
        return Run.objects.create(
            kind=RunKind.INGEST_CALLS,
            status=RunStatus.SKIPPED,
            source=path.name[:255],
            sha256=digest,
            files=1,
            progress=100,
            started_by=actor if getattr(actor, "pk", None) else None,
            finished_at=earlier.finished_at,
            report={"duplicate_of": earlier.pk},
        )
    try:
        with run_recorded(
            kind=RunKind.INGEST_CALLS, actor=actor, source=path.name, echo=echo,
            sha256=digest, engine="duckdb",
        ) as progress:  # fmt: skip
            run = progress.run

            def step(p: Any) -> None:
                progress(rows=p.rows, files=p.files, stage=p.stage, done=None)

            report = ingest_file(path, lake=lake(), rules=call_rules(), lines=lines_table(),
                                 digest=digest, progress=step)  # fmt: skip
            days = sorted(report.days)
            run.rows_in, run.rows_ok, run.rows_bad = report.rows_in, report.rows_ok, report.rows_bad
            run.files = 1
            run.day_from = dt.date.fromisoformat(days[0]) if days else None
            run.day_to = dt.date.fromisoformat(days[-1]) if days else None
            run.report = {
                "days": report.days,
                "reasons": report.reasons,
                "quarantine": report.quarantine_path,
                "samples": [_plain(s) for s in report.samples],
                "seconds": round(report.seconds, 3),
            }
            progress(force=True, done=1.0, stage="ingest")
    except IngestError:
        pass  # recorded on the run as FAILED with the message
    return Run.objects.get(pk=run.pk)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if v is None or isinstance(v, int | str) else str(v)) for k, v in row.items()}


@dataclass
class CallFinding:
    account_id: int
    severity: int
    competitor: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def call_figures(weekly: pa.Table) -> dict[int, dict[str, float]]:
    """For every account with calls, the figures the risk model reads."""
    return evaluate_calls(weekly, as_of=dt.date.min, thresholds={})[1]


def evaluate_calls(
    weekly: pa.Table, *, as_of: dt.date, thresholds: dict[int, ChurnThreshold]
) -> tuple[list[CallFinding], dict[int, dict[str, float]]]:
    """Apply the thresholds to each account's weekly series. Returns the findings (accounts
    to warn) and, for every account, the figures the risk model reads."""
    by_account: dict[int, dict[int, dict[int, list[int]]]] = defaultdict(lambda: defaultdict(dict))
    for row in weekly.to_pylist():
        by_account[row["account_id"]][row["week"]][row["competitor"]] = [
            row["seconds"],
            row["ld_seconds"],
        ]
    findings: list[CallFinding] = []
    features: dict[int, dict[str, float]] = {}
    for account_id, weeks in by_account.items():

        def ld(week: int, *, competitor: bool | None = None, _w: Any = weeks) -> int:
            return sum(
                v[1]
                for c, v in _w.get(week, {}).items()
                if competitor is None or (c > 0) == competitor
            )

        ld0, comp0 = ld(0), ld(0, competitor=True)
        base_ld = sum(ld(w) for w in BASELINE_WEEKS) / len(BASELINE_WEEKS)
        base_comp = sum(ld(w, competitor=True) for w in BASELINE_WEEKS) / len(BASELINE_WEEKS)
        share = _pct(comp0, ld0)
        base_share = _pct(base_comp, base_ld)
        own0, own_base = ld0 - comp0, base_ld - base_comp
        own_drop = _pct(own_base - own0, own_base) if own_base > 0 else 0.0
        features[account_id] = {
            "competitor_share": share / 100.0,
            "ld_change": (ld0 - base_ld) / base_ld if base_ld else 0.0,
        }
        threshold = thresholds.get(account_id)
        if threshold is None or base_ld / 60.0 < threshold.min_baseline_minutes:
            continue
        rules = []
        share_limit = float(threshold.competitor_share_pct)
        if share >= share_limit and share - base_share >= float(threshold.share_rise_points):
            rules.append("competitor_share")
        if own_drop >= float(threshold.ld_drop_pct):
            rules.append("own_ld_drop")
        if not rules:
            continue
        severity = Severity.HIGH if len(rules) == 2 or share >= 2 * share_limit else Severity.MEDIUM
        by_comp: dict[int, int] = defaultdict(int)
        for c, v in weeks.get(0, {}).items():
            if c > 0:
                by_comp[c] += v[1]
        top = max(by_comp, key=lambda c: by_comp[c]) if by_comp and comp0 else 0
        series = []
        for w in range(WEEKS - 1, -1, -1):
            series.append(
                {
                    "week_end": (as_of - dt.timedelta(days=7 * w)).isoformat(),
                    "ld_minutes": round(ld(w) / 60.0, 1),
                    "competitor_minutes": round(ld(w, competitor=True) / 60.0, 1),
                }
            )
        findings.append(
            CallFinding(
                account_id=account_id,
                severity=int(severity),
                competitor=COMPETITOR_NAMES.get(top, ""),
                evidence={
                    "as_of": as_of.isoformat(),
                    "rules": rules,
                    "ld_minutes": round(ld0 / 60.0, 1),
                    "competitor_minutes": round(comp0 / 60.0, 1),
                    "share_pct": share,
                    "baseline_ld_minutes": round(base_ld / 60.0, 1),
                    "baseline_share_pct": base_share,
                    "own_drop_pct": own_drop,
                    "thresholds": {
                        "competitor_share_pct": share_limit,
                        "share_rise_points": float(threshold.share_rise_points),
                        "ld_drop_pct": float(threshold.ld_drop_pct),
                    },
                    "series": series,
                },
            )
        )
    findings.sort(key=lambda f: f.account_id)
    return findings, features


def call_signals_run(
    *,
    as_of: dt.date | None = None,
    engine: str | None = None,
    days: list[dt.date] | None = None,
    actor: Any = None,
    echo: Echo | None = None,
) -> Run:
    """Bring the daily aggregates up to date (only the days whose call files changed, or
    the given days, whose calls are first matched again to the lines in use now), then
    evaluate the weeks up to `as_of` (default: the last day with calls) and raise or
    update warnings. Re-running changes nothing."""
    the_lake = lake()
    name = analytics_engine.engine_name(engine)
    with run_recorded(kind=RunKind.CALL_SIGNALS, actor=actor, echo=echo, engine=name) as progress:
        run = progress.run
        todo = sorted(days) if days is not None else the_lake.stale_days()
        # Files landed before calls carried their account are matched once, like a re-run.
        rematch = todo if days is not None else [d for d in todo if _unmatched(the_lake, d)]
        if rematch:
            lines = lines_table()
            for day in rematch:
                match_day(the_lake, day, lines, only_unmatched=days is None)
        con = analytics_engine.connect(name)

        def step(done: int, matched: int) -> None:
            progress(rows=matched, files=done, done=done / (len(todo) + 1), stage="daily")

        rows = engine_calls.aggregate_days(con, lake=the_lake, days=todo, on_batch=step)
        all_days = the_lake.calls_days()
        as_of = as_of or (all_days[-1] if all_days else None)
        report: dict[str, Any] = {"days": [d.isoformat() for d in todo], "matched_calls": rows}
        if as_of is not None:
            first = as_of - dt.timedelta(days=7 * WEEKS - 1)
            weekly = engine_calls.weekly_series(
                con, daily_files=the_lake.daily_files(first, as_of), as_of=as_of, weeks=WEEKS
            )
            accounts = dict(Account.objects.values_list("pk", "grade_id"))
            by_grade = thresholds_for(set(accounts.values()))
            thresholds = {pk: by_grade[g] for pk, g in accounts.items()}
            findings, features = evaluate_calls(weekly, as_of=as_of, thresholds=thresholds)
            _write_features(features, the_lake)
            report |= _raise(findings, as_of=as_of, source=WarningSource.CALLS)
            report["accounts_with_calls"] = len(features)
            run.day_to = as_of
        run.day_from = todo[0] if todo else None
        run.rows_ok = rows
        run.report = report
        progress(force=True, done=1.0, stage="signals")
    return Run.objects.get(pk=run.pk)


def _unmatched(the_lake: Lake, day: dt.date) -> bool:
    return any("account_id" not in pq.read_schema(f).names for f in the_lake.call_files(day))


def _raise(findings: list[Any], *, as_of: dt.date, source: str) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    accounts = Account.objects.select_related("owner").in_bulk([f.account_id for f in findings])
    for finding in findings:
        account = accounts.get(finding.account_id)
        if account is None:
            continue
        _warning, what = warning_raise(
            account=account,
            source=source,
            severity=finding.severity,
            evidence=finding.evidence,
            evidence_on=as_of,
            competitor=finding.competitor,
        )
        counts[what] += 1
    return {f"warnings_{k}": v for k, v in counts.items()}


def _write_features(features: dict[int, dict[str, float]], the_lake: Lake) -> None:
    ids = sorted(features)
    engine_calls.write_parquet(
        pa.table(
            {
                "account_id": pa.array(ids, pa.int64()),
                "competitor_share": pa.array(
                    [features[i]["competitor_share"] for i in ids], pa.float64()
                ),
                "ld_change": pa.array([features[i]["ld_change"] for i in ids], pa.float64()),
            }
        ),
        the_lake.signals(),
    )


def threshold_default() -> ChurnThreshold:
    return ChurnThreshold.objects.filter(grade__isnull=True).first() or ChurnThreshold()
