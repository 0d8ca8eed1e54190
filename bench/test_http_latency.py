"""The statistics of bench/http_latency.py, on figures worked out by hand (no server)."""

from __future__ import annotations

import math

import pytest

from bench.http_latency import percentile, summarize

# Ten latencies, deliberately unsorted: 10, 20, ..., 100 ms.
LATENCIES = [70.0, 10.0, 100.0, 40.0, 20.0, 90.0, 30.0, 60.0, 50.0, 80.0]


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0, 10.0),
        (50, 55.0),  # rank 0.5 * 9 = 4.5: halfway between 50 and 60
        (95, 95.5),  # rank 8.55: 90 + 0.55 * 10
        (99, 99.1),  # rank 8.91: 90 + 0.91 * 10
        (100, 100.0),
    ],
)
def test_percentile_interpolates_between_ranks(p: float, expected: float) -> None:
    assert percentile(LATENCIES, p) == pytest.approx(expected)


def test_percentile_of_one_and_of_none() -> None:
    assert percentile([42.0], 99) == 42.0
    assert math.isnan(percentile([], 50))


def test_summary_figures_and_aim() -> None:
    s = summarize("list", LATENCIES, errors=0, secs=2.0, floor_p95=40.0, size=10 * 2048)
    assert (s.requests, s.errors) == (10, 0)
    assert (s.p50_ms, s.p95_ms, s.p99_ms) == pytest.approx((55.0, 95.5, 99.1))
    assert s.req_per_s == pytest.approx(5.0)
    assert s.floor_ratio == pytest.approx(95.5 / 40.0)  # 2.39x: within 3x
    assert s.kb_per_response == pytest.approx(2.0)
    assert s.meets_aim


def test_summary_misses_the_aim() -> None:
    # Within 150 ms but more than 3x a 30 ms floor.
    assert not summarize("x", LATENCIES, 0, 1.0, floor_p95=30.0).meets_aim
    # Any error misses it, and errors count as requests for the throughput.
    errored = summarize("x", LATENCIES, 2, 3.0, floor_p95=95.5)
    assert (errored.requests, errored.req_per_s, errored.floor_ratio) == (12, 4.0, 1.0)
    assert not errored.meets_aim
    # Slower than 150 ms at p95 misses it even against a slow floor.
    slow = [x * 2 for x in LATENCIES]
    assert not summarize("x", slow, 0, 1.0, floor_p95=100.0).meets_aim
    # The floor compares with itself.
    assert summarize("floor", LATENCIES, 0, 1.0, floor_p95=None).floor_ratio == 1.0
