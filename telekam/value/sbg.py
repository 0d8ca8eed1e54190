"""The shifted-beta-geometric (sBG) retention model of Fader & Hardie (2007), "How to
project customer retention": each customer renews every period with their own
probability 1 - θ, and θ varies across the cohort as Beta(α, β). Then

    P(T = 1) = α / (α + β)
    P(T = t) = (β + t - 2) / (α + β + t - 1) · P(T = t - 1)      t ≥ 2
    S(t)     = (β + t - 1) / (α + β + t - 1) · S(t - 1),  S(0) = 1

where T is the period in which a customer leaves and S(t) the share still active after t
periods. α and β are fitted by maximum likelihood to a cohort's survivors n_0, n_1, ...,
n_k (customers still active at the start of each period): n_{t-1} - n_t left in period t,
n_k are still here:

    LL(α, β) = Σ_{t=1..k} (n_{t-1} - n_t) · ln P(T = t) + n_k · ln S(k)

No Django here: the value services and `telekam retention fit` call it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from scipy.optimize import minimize

# Bounds of the search, in ln α and ln β: beyond them the cohort does not pin the curve
# down (e.g. nobody left, so any α near 0 fits).
_LOG_BOUND = 9.0


class SbgError(ValueError):
    """The survivors cannot be fitted (the message says why)."""


@dataclass(frozen=True)
class SbgFit:
    alpha: float
    beta: float
    log_likelihood: float
    survivors: tuple[int, ...]

    @property
    def periods(self) -> int:
        return len(self.survivors) - 1

    def survival(self, periods: int) -> list[float]:
        return survival(self.alpha, self.beta, periods)

    def projected_survivors(self, ahead: int = 5) -> list[float]:
        """The expected survivors of the cohort at the start of each of the next `ahead`
        periods after the last observed one: n_0 · S(k + j)."""
        curve = survival(self.alpha, self.beta, self.periods + ahead)
        return [self.survivors[0] * s for s in curve[self.periods + 1 :]]

    def retention_rates(self, periods: int) -> list[float]:
        """r_t = S(t) / S(t-1) = (β + t - 1) / (α + β + t - 1), t = 1..periods: rises with
        t, as the cohort keeps the customers least likely to leave."""
        return [
            (self.beta + t - 1) / (self.alpha + self.beta + t - 1) for t in range(1, periods + 1)
        ]


def churn_probabilities(alpha: float, beta: float, periods: int) -> list[float]:
    """P(T = t) for t = 1..periods."""
    out: list[float] = []
    p = alpha / (alpha + beta)
    for t in range(1, periods + 1):
        if t > 1:
            p *= (beta + t - 2) / (alpha + beta + t - 1)
        out.append(p)
    return out


def survival(alpha: float, beta: float, periods: int) -> list[float]:
    """S(t) for t = 0..periods."""
    out = [1.0]
    for t in range(1, periods + 1):
        out.append(out[-1] * (beta + t - 1) / (alpha + beta + t - 1))
    return out


def log_likelihood(alpha: float, beta: float, survivors: Sequence[int]) -> float:
    k = len(survivors) - 1
    probs = churn_probabilities(alpha, beta, k)
    total = 0.0
    for t in range(1, k + 1):
        lost = survivors[t - 1] - survivors[t]
        if lost:
            total += lost * math.log(probs[t - 1])
    if survivors[k]:
        total += survivors[k] * math.log(survival(alpha, beta, k)[k])
    return total


def check_survivors(survivors: Sequence[int]) -> tuple[int, ...]:
    values = tuple(survivors)
    if len(values) < 2:
        raise SbgError("need the survivors of at least two periods (period 0 first)")
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values):
        raise SbgError("survivors must be whole numbers, 0 or more")
    if values[0] == 0:
        raise SbgError("the cohort is empty at period 0")
    if any(b > a for a, b in pairwise(values)):
        raise SbgError("survivors cannot grow from one period to the next")
    if values[-1] == values[0]:
        raise SbgError("nobody left the cohort: the retention curve cannot be estimated")
    if values[-1] == 0 and len(values) == 2:
        raise SbgError(
            "everybody left in the first period: the retention curve cannot be estimated"
        )
    return values


def _maximise(ll: Callable[[float, float], float]) -> tuple[float, float, float]:
    """(α, β, LL) maximising `ll(α, β)`, searched in ln α, ln β from three starts."""

    def loss(x: Sequence[float]) -> float:
        return -ll(math.exp(x[0]), math.exp(x[1]))

    results = [
        minimize(
            loss,
            start,
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 2,
            options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 2000},
        )
        for start in ((0.0, 0.0), (-1.0, 1.0), (1.0, 2.0))
    ]
    best = min(results, key=lambda r: r.fun)
    if any(abs(v) >= _LOG_BOUND - 1e-6 for v in best.x):
        raise SbgError("these survivors do not determine the retention curve (the fit runs off)")
    return math.exp(best.x[0]), math.exp(best.x[1]), -float(best.fun)


def fit(survivors: Sequence[int]) -> SbgFit:
    """α and β by maximum likelihood (searched in ln α, ln β)."""
    values = check_survivors(survivors)
    alpha, beta, ll = _maximise(lambda a, b: log_likelihood(a, b, values))
    return SbgFit(alpha=alpha, beta=beta, log_likelihood=ll, survivors=values)


def fit_many(cohorts: Sequence[Sequence[int]]) -> SbgFit:
    """One α, β for several cohorts observed for different numbers of periods (a pooled
    fit): the sum of each cohort's log-likelihood is maximised, so a cohort observed for
    k periods tells only about those k periods. Cohorts of one count (period 0 only) say
    nothing and are left out. The result's `survivors` are the cohorts' counts summed over
    the periods all the fitted cohorts were observed for."""
    used: list[tuple[int, ...]] = []
    for cohort in cohorts:
        values = tuple(cohort)
        if len(values) < 2:
            continue
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values):
            raise SbgError("survivors must be whole numbers, 0 or more")
        if values[0] == 0:
            continue
        if any(b > a for a, b in pairwise(values)):
            raise SbgError("survivors cannot grow from one period to the next")
        used.append(values)
    if not used:
        raise SbgError("need the survivors of at least two periods (period 0 first)")
    if all(c[-1] == c[0] for c in used):
        raise SbgError("nobody left the cohort: the retention curve cannot be estimated")
    alpha, beta, ll = _maximise(lambda a, b: sum(log_likelihood(a, b, c) for c in used))
    shortest = min(len(c) for c in used)
    summed = tuple(sum(c[t] for c in used) for t in range(shortest))
    return SbgFit(alpha=alpha, beta=beta, log_likelihood=ll, survivors=summed)


def discounted_expected_residual_lifetime(
    alpha: float, beta: float, *, renewals: int, discount: float
) -> float:
    """Fader & Hardie's DERL: for a customer who has renewed `renewals` times and is about
    to decide on the next renewal, the expected number of further periods it pays for,
    each discounted by `discount` per period (> 0):

        Σ_{t > n} S(t) / S(n) · (1 + d)^-(t - n),   n = renewals

    Multiply by the margin per period for the residual lifetime value."""
    if discount <= 0:
        raise SbgError("the discount rate must be above 0")
    if renewals < 0:
        raise SbgError("renewals cannot be negative")
    total = 0.0
    alive = 1.0  # S(t) / S(n)
    factor = 1.0
    t = renewals
    while True:
        t += 1
        alive *= (beta + t - 1) / (alpha + beta + t - 1)
        factor /= 1 + discount
        term = alive * factor
        total += term
        if term < 1e-13 * max(total, 1.0):
            return total
