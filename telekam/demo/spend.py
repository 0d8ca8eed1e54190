"""Monthly bills of a demo account: level, trend, seasonality, noise, and the grade they give.

All amounts are whole fen (cents) so sums are exact; an account's list-window average is
rescaled to the level drawn for it, so the grade it gets at the start of the year is the
one the generator designed.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from telekam.billing.services import month_add
from telekam.demo import data

MONTHS = 24
CENT = Decimal("0.01")

# Trend kinds.
STABLE = "stable"
GROWING = "growing"
DECLINING = "declining"
SHARP_DECLINE = "sharp_decline"  # e.g. -40% over the last six months: churn risk
DROP_OFF = "drop_off"  # key account whose recent average falls below the key threshold
RISE = "rise"  # commercial customer whose recent average rises above it


@dataclass(frozen=True)
class Band:
    """A grade band as the generator needs it (read once from accounts.GradeBand)."""

    pk: int
    segment: str
    code: str
    low: Decimal
    high: Decimal | None
    stars: int

    def contains(self, avg: Decimal) -> bool:
        return avg >= self.low and (self.high is None or avg < self.high)


class Bands:
    """The configured grade scheme: key bands above the threshold, commercial below."""

    def __init__(self, bands: Sequence[Band]) -> None:
        self.key = sorted((b for b in bands if b.segment == "key"), key=lambda b: b.low)
        self.commercial = sorted(
            (b for b in bands if b.segment == "commercial"), key=lambda b: b.low
        )
        if not self.key or not self.commercial:
            raise RuntimeError("demo: the grade scheme needs key and commercial bands")
        self.threshold = float(self.key[0].low)

    def classify(self, avg: Decimal) -> Band:
        for band in (*reversed(self.key), *reversed(self.commercial)):
            if band.contains(avg):
                return band
        return self.commercial[0]

    def target(self, rng: random.Random, segment: str, weights: Sequence[float]) -> float:
        """A monthly level inside a band drawn by `weights` (lowest band first)."""
        bands = self.key if segment == "key" else self.commercial
        weights = _fit_weights(weights, len(bands))
        band = rng.choices(bands, weights=weights, k=1)[0]
        low = max(float(band.low), 100.0)
        high = float(band.high) if band.high is not None else low * 5
        # Log-uniform, skewed to the bottom of the band: many small, few large.
        value = low * (high / low) ** (rng.random() ** 1.4)
        return min(max(value, low * 1.015), high * 0.985)


def _fit_weights(weights: Sequence[float], n: int) -> list[float]:
    if len(weights) == n:
        return list(weights)
    return [0.5**i for i in range(n)]  # a scheme with other bands: halve per band


@dataclass(frozen=True)
class Calendar:
    """The 24 billed months, the yearly-list window (last calendar year) and the last 12."""

    months: tuple[dt.date, ...]
    list_window: range
    recent_window: range
    this_year: int  # index of January of the current year

    @classmethod
    def ending_before(cls, today: dt.date) -> Calendar:
        last = month_add(today.replace(day=1), -1)
        months = tuple(month_add(last, i - (MONTHS - 1)) for i in range(MONTHS))
        january = months.index(dt.date(today.year, 1, 1)) if today.month > 1 else MONTHS
        list_start = months.index(dt.date(today.year - 1, 1, 1))
        return cls(
            months=months,
            list_window=range(list_start, list_start + 12),
            recent_window=range(MONTHS - 12, MONTHS),
            this_year=january,
        )


def trend_multipliers(rng: random.Random, trend: str) -> list[float]:
    """The account's level over the 24 months, relative to its starting level."""
    last = MONTHS - 1
    if trend == GROWING:
        growth = rng.uniform(0.15, 0.6)
        return [(1 + growth) ** (t / last) for t in range(MONTHS)]
    if trend == DECLINING:
        fall = rng.uniform(0.15, 0.35)
        return [(1 - fall) ** (t / last) for t in range(MONTHS)]
    if trend == SHARP_DECLINE:
        return _ramp(start=last - 6, change=-rng.uniform(0.35, 0.6))
    if trend == DROP_OFF:
        return _ramp(start=last - 13, change=-rng.uniform(0.4, 0.55))
    if trend == RISE:
        return _ramp(start=last - 15, change=rng.uniform(0.7, 1.2))
    drift = rng.gauss(0, 0.03)
    return [1 + drift * (t - last / 2) / last for t in range(MONTHS)]


def _ramp(*, start: int, change: float) -> list[float]:
    """Flat until `start`, then a straight line to 1 + change at the last month."""
    span = MONTHS - 1 - start
    return [1.0 if t <= start else 1 + change * (t - start) / span for t in range(MONTHS)]


def _product_factors(rng: random.Random, product: str, months: Sequence[dt.date]) -> list[float]:
    sigma, season = data.PRODUCT_VOLATILITY.get(product, data.FIXED_LINE_VOLATILITY)
    return [
        (1 + season * (data.SEASONALITY[m.month] - 1)) * math.exp(rng.gauss(0, sigma))
        for m in months
    ]


def draw_series(
    rng: random.Random,
    calendar: Calendar,
    *,
    target: float,
    shares: Mapping[str, float],
    trend: str,
    stop: tuple[str, int] | None = None,
) -> dict[str, list[int]]:
    """Bills in fen per product and month (0 = no bill), averaging `target` over the list
    window. `stop` = (product, month index): that product bills nothing from then on."""
    level = trend_multipliers(rng, trend)
    raw: dict[str, list[float]] = {}
    for product, share in shares.items():
        factors = _product_factors(rng, product, calendar.months)
        raw[product] = [share * level[t] * factors[t] for t in range(MONTHS)]
    if stop is not None:
        product, index = stop
        raw[product] = [v if t < index else 0.0 for t, v in enumerate(raw[product])]
    window_total = sum(sum(values[t] for t in calendar.list_window) for values in raw.values())
    scale = target * 100 * len(calendar.list_window) / window_total
    return {p: [round(v * scale) for v in values] for p, values in raw.items()}


def monthly_totals(series: Mapping[str, Sequence[int]]) -> list[int]:
    return [sum(values[t] for values in series.values()) for t in range(MONTHS)]


def average(series: Mapping[str, Sequence[int]], window: range) -> Decimal:
    """Average monthly spend (yuan) over the billed months of `window`, as billing computes it."""
    totals = monthly_totals(series)
    billed = [totals[t] for t in window if totals[t] > 0]
    if not billed:
        return Decimal("0.00")
    return (Decimal(sum(billed)) / 100 / len(billed)).quantize(CENT, rounding=ROUND_HALF_UP)


def hold_recent(
    series: dict[str, list[int]], calendar: Calendar, *, above: float | None, below: float | None
) -> None:
    """Scale this year's months so the recent 12-month average is above/below a bound.

    Used to keep the yearly review's candidates exactly the designed ones: the months of
    the list window (last year) are never touched, so the current grade stays as drawn.
    """
    totals = monthly_totals(series)
    recent = calendar.recent_window
    current = sum(totals[t] for t in recent) / len(recent) / 100
    if above is not None and current < above:
        goal = above
    elif below is not None and current >= below:
        goal = below
    else:
        return
    fixed = sum(totals[t] for t in recent if t < calendar.this_year)
    movable = sum(totals[t] for t in recent if t >= calendar.this_year)
    if movable <= 0:
        return
    factor = (goal * 100 * len(recent) - fixed) / movable
    for values in series.values():
        for t in range(calendar.this_year, MONTHS):
            values[t] = round(values[t] * factor)
