"""When to try an e-mail again after a failure: a pure rule over counts and `now`.

A temporary refusal (4xx, connection lost) is retried until the server accepts, with an exponential delay
capped so a message never waits more than `cap` once the server is back. A permanent refusal (5xx) is
also retried a few times, because relays answer 5xx to transient misconfigurations too, and then given up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Delays between tries, and how many permanent refusals end the attempts."""

    base: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=1)
    max_permanent_failures: int = 3

    def __post_init__(self) -> None:
        if self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError(f"retry delays must be positive with cap >= base, not {self.base} and {self.cap}")
        if self.max_permanent_failures < 1:
            raise ValueError(f"max_permanent_failures must be at least 1, not {self.max_permanent_failures}")


@dataclass(frozen=True)
class AfterFailure:
    """What the outbox row becomes after a failed try."""

    give_up: bool
    next_try_at: datetime | None


def retry_delay(attempts: int, policy: RetryPolicy) -> timedelta:
    """The wait after the `attempts`-th failed try: base, 2×base, 4×base … never above the cap."""
    if attempts < 1:
        raise ValueError(f"attempts counts failed tries and starts at 1, not {attempts}")
    # Past 2**30 the product overflows timedelta long after it has reached any sensible cap.
    factor = 2 ** min(attempts - 1, 30)
    return min(policy.cap, policy.base * factor)


def after_failure(attempts: int, permanent_failures: int, policy: RetryPolicy, now: datetime) -> AfterFailure:
    """Give up after too many permanent refusals; otherwise schedule the next try."""
    if permanent_failures >= policy.max_permanent_failures:
        return AfterFailure(give_up=True, next_try_at=None)
    return AfterFailure(give_up=False, next_try_at=now + retry_delay(attempts, policy))
