"""When to try again: exponential backoff with jitter for jobs, and the merchant callback schedule.

Jitter spreads retries of many jobs that failed together (a vendor outage) so they do not all return
at the same second; the callback schedule is fixed data so a merchant can read how long easel keeps
trying (15 attempts over a little more than 25 hours, each gap at least as long as the one before).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of a failed job: ``base × 2^(n-1)`` seconds after the n-th failure, capped, with jitter."""

    base: float = 10.0
    cap: float = 1800.0
    jitter: float = 0.25
    """Each delay is drawn from [delay × (1 - jitter), delay]."""
    max_attempts: int = 12
    """Failures before a job is parked (retryable errors only; others park at once)."""

    def delay(self, failures: int, rng: random.Random, at_least: float | None = None) -> float:
        raw = min(self.cap, self.base * 2.0 ** max(0, failures - 1))
        drawn = raw * (1 - self.jitter * rng.random())
        return float(max(drawn, at_least or 0.0))


# Gaps after each failed delivery of one event to a merchant's callback URL: 14 gaps, 15 attempts.
CALLBACK_GAPS: tuple[timedelta, ...] = (
    timedelta(seconds=5), timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=5),
    timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=30), timedelta(hours=1),
    timedelta(hours=1, minutes=30), timedelta(hours=2), timedelta(hours=3), timedelta(hours=4),
    timedelta(hours=5), timedelta(hours=8),
)
CALLBACK_ATTEMPTS = len(CALLBACK_GAPS) + 1


def callback_gap(failures: int, rng: random.Random, jitter: float = 0.1) -> timedelta | None:
    """The wait after the ``failures``-th failed attempt, or None once every attempt is used."""
    if failures >= CALLBACK_ATTEMPTS:
        return None
    gap = CALLBACK_GAPS[failures - 1]
    return gap * (1 + jitter * rng.random())


assert all(a <= b for a, b in itertools.pairwise(CALLBACK_GAPS))
assert CALLBACK_ATTEMPTS >= 15 and sum(CALLBACK_GAPS, timedelta()) >= timedelta(hours=24)
