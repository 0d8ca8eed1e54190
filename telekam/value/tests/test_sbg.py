"""The sBG retention model against answers derived independently: the two cohorts
published by Fader & Hardie (2007), and the likelihood and survival written with Beta
functions (S(t) = B(α, β + t) / B(α, β)) rather than the model's recursions."""

from __future__ import annotations

import io
import json
import math

import pytest
from django.core.management import CommandError, call_command
from scipy.special import betaln

from telekam.value import sbg

# Fader & Hardie (2007), "How to project customer retention", Journal of Interactive
# Marketing 21(1): survivors at years 0..7 and their published estimates.
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
ISSUE_COHORT = [1000, 800, 670, 580, 515]


def ll_beta(alpha: float, beta: float, survivors: list[int]) -> float:
    """The sBG log-likelihood with Beta functions: P(T = t) = B(α + 1, β + t - 1) / B(α, β)."""
    k = len(survivors) - 1
    base = betaln(alpha, beta)
    total = sum(
        (survivors[t - 1] - survivors[t]) * (betaln(alpha + 1, beta + t - 1) - base)
        for t in range(1, k + 1)
    )
    return total + survivors[k] * (betaln(alpha, beta + k) - base)


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta", "ll"),
    [(HIGH_END, 0.668, 3.806, -1611.2), (REGULAR, 0.704, 1.182, -1680.3)],
)
def test_the_published_cohorts_give_the_published_estimates(survivors, alpha, beta, ll):
    result = sbg.fit(survivors)

    assert result.alpha == pytest.approx(alpha, abs=5e-4)
    assert result.beta == pytest.approx(beta, abs=5e-4)
    assert result.log_likelihood == pytest.approx(ll, abs=0.05)


def test_the_fit_is_the_maximum_of_the_beta_function_likelihood():
    result = sbg.fit(ISSUE_COHORT)
    # A grid over α, β in 0.01 steps around the answer: nothing beats the fit.
    grid = max(
        ll_beta(a / 100, b / 100, ISSUE_COHORT) for a in range(60, 100) for b in range(250, 400)
    )

    assert result.log_likelihood == pytest.approx(ll_beta(result.alpha, result.beta, ISSUE_COHORT))
    assert result.log_likelihood >= grid
    assert grid == pytest.approx(result.log_likelihood, abs=0.01)


def test_projection_and_survival_agree_with_beta_functions():
    result = sbg.fit(ISSUE_COHORT)
    a, b = result.alpha, result.beta

    expected = [1000 * math.exp(betaln(a, b + 4 + j) - betaln(a, b)) for j in range(1, 6)]

    assert result.projected_survivors(5) == pytest.approx(expected, rel=1e-12)
    assert result.projected_survivors(5)[0] < 515
    assert sbg.survival(a, b, 3) == pytest.approx(
        [math.exp(betaln(a, b + t) - betaln(a, b)) for t in range(4)]
    )
    rates = result.retention_rates(6)
    assert rates == sorted(rates)  # the cohort keeps its most loyal customers


def test_residual_lifetime_is_the_discounted_sum_of_survival():
    a, b, n, d = 0.668, 3.806, 4, 0.10
    direct = sum(
        math.exp(betaln(a, b + t) - betaln(a, b + n)) / (1 + d) ** (t - n)
        for t in range(n + 1, 3000)
    )

    assert sbg.discounted_expected_residual_lifetime(a, b, renewals=n, discount=d) == pytest.approx(
        direct, rel=1e-9
    )
    # Longer tenure, longer expected stay.
    assert sbg.discounted_expected_residual_lifetime(
        a, b, renewals=n + 5, discount=d
    ) > sbg.discounted_expected_residual_lifetime(a, b, renewals=n, discount=d)


@pytest.mark.parametrize(
    ("survivors", "message"),
    [
        ([1000], "at least two periods"),
        ([0, 0], "empty"),
        ([1000, 1100], "cannot grow"),
        ([1000, 1000, 1000], "nobody left"),
        ([1000, 0], "everybody left"),
        ([1000, -1], "0 or more"),
    ],
)
def test_survivors_that_cannot_be_fitted_say_why(survivors, message):
    with pytest.raises(sbg.SbgError, match=message):
        sbg.fit(survivors)


def test_discount_must_be_positive():
    with pytest.raises(sbg.SbgError, match="discount"):
        sbg.discounted_expected_residual_lifetime(1, 1, renewals=0, discount=0)


def test_the_command_prints_json_for_the_issue_cohort():
    out = io.StringIO()

    call_command("retention", "fit", "--survivors", "1000,800,670,580,515", stdout=out)

    report = json.loads(out.getvalue())
    result = sbg.fit(ISSUE_COHORT)
    assert report["alpha"] == pytest.approx(result.alpha)
    assert report["beta"] == pytest.approx(result.beta)
    assert report["log_likelihood"] == pytest.approx(
        ll_beta(result.alpha, result.beta, ISSUE_COHORT)
    )
    assert report["projected_survivors"] == pytest.approx(result.projected_survivors(5))
    assert len(report["projected_survivors"]) == 5


@pytest.mark.parametrize(
    ("value", "message"),
    [("1000,8x0", "not a whole number"), ("1000,1200", "cannot grow"), ("1000", "two periods")],
)
def test_the_command_refuses_bad_survivors(value, message):
    with pytest.raises(CommandError, match=message):
        call_command("retention", "fit", "--survivors", value, stdout=io.StringIO())
