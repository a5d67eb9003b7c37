"""The retry schedule of the outbox: doubling from the base, capped, and a bounded number of permanent refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.backoff import RetryPolicy, after_failure, retry_delay

POLICY = RetryPolicy(base=timedelta(minutes=1), cap=timedelta(minutes=10), max_permanent_failures=3)
NOW = datetime(2026, 11, 23, 18, 15, tzinfo=UTC)


def test_the_delay_doubles_from_the_base_up_to_the_cap() -> None:
    assert [retry_delay(n, POLICY) for n in (1, 2, 3, 4, 5, 6, 1000)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 10, 10, 10)
    ]


@given(st.integers(1, 10_000))
def test_the_delay_never_shrinks_and_never_exceeds_the_cap(attempts: int) -> None:
    delay = retry_delay(attempts, POLICY)
    assert POLICY.base <= delay <= POLICY.cap
    assert retry_delay(attempts + 1, POLICY) >= delay


def test_temporary_refusals_are_retried_forever_and_permanent_ones_up_to_the_limit() -> None:
    assert after_failure(500, 0, POLICY, NOW).next_try_at == NOW + timedelta(minutes=10)
    assert not after_failure(3, 2, POLICY, NOW).give_up
    decision = after_failure(3, 3, POLICY, NOW)
    assert decision.give_up and decision.next_try_at is None


def test_a_nonsense_policy_or_count_is_refused() -> None:
    with pytest.raises(ValueError, match="cap"):
        RetryPolicy(base=timedelta(minutes=5), cap=timedelta(minutes=1))
    with pytest.raises(ValueError, match="starts at 1"):
        retry_delay(0, POLICY)
