"""The engine never has more live calls on its PBX than the trunk carries, one dialer or several on one database.

The simulator over TCP counts the calls that had a channel up at once (`peak_live_calls`), what a real trunk
limits; pacing wants several times the capacity, so without the cap the peak would pass it at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from campaigns.models import Attempt
from config.orm import transaction
from dialer.campaign_view import queue_name
from dialer.pacing import PacingMode, PacingPolicy
from dialer.trunk import pbx_key
from tests.campaigns.factories import campaign, leads
from tests.dialer.engine_harness import Dialer, attempts, check_books, running_dialer

# Ratio 3 with 6 agents wants up to 18 lines in progress: far more than the trunk's channels.
GREEDY = PacingPolicy(mode=PacingMode.RATIO, ratio=3.0, max_lines_per_agent=4.0)


@pytest.fixture
async def dialer(database_url: str) -> AsyncIterator[Dialer]:
    async with running_dialer(database_url, 2000) as harness:
        yield harness


async def test_a_dialer_never_has_more_live_calls_than_its_trunk_carries(dialer: Dialer) -> None:
    engine = await dialer.start_engine(agents=6, policy=GREEDY, trunk_channels=3)
    # The console says the trunk holds the campaign back (rdv.runtime.dialing_state reads `trunk_full`).
    await dialer.until(lambda: engine.counters["dialled"] >= 40 and dialer.campaign_id in engine.trunk_full,
                       clock_s=4 * 3600)  # fmt: skip
    await engine.stop(drain_timeout=600)
    check_books(dialer.sessions)
    assert engine.counters["capped_by_trunk"] > 0
    assert dialer.sim.pbx.peak_live_calls == 3, "the trunk was passed (or never filled: the test proves nothing)"
    with dialer.sessions() as session:
        servers = set(session.scalars(select(Attempt.pbx)))
    assert servers == {pbx_key("127.0.0.1", dialer.sim.port)}


async def test_without_a_trunk_capacity_the_same_pacing_passes_three_calls(dialer: Dialer) -> None:
    # The other side of the test above: the cap, not the pacing, held the calls to three.
    engine = await dialer.start_engine(agents=6, policy=GREEDY)
    await dialer.until(lambda: dialer.sim.pbx.peak_live_calls > 3, clock_s=3600)
    await engine.stop(drain_timeout=600)
    assert engine.counters["capped_by_trunk"] == 0 and not engine.trunk_full


async def test_two_campaigns_of_one_dialer_share_a_full_trunk_instead_of_the_first_taking_it_all(
        dialer: Dialer) -> None:
    engine = await dialer.start_engine(agents=6, policy=GREEDY, trunk_channels=3)
    with transaction(dialer.sessions) as session:
        other = campaign(session, name="Isolation", settings={"wrap_up_seconds": "10"}).id
        leads(session, other, 2000, start=50_000)
    dialer.sim.configure_queue(queue_name(other))
    await engine.add_campaign(other)
    engine.held.discard(other)  # its calling day open, as the runtime's day job does
    for n in range(1, 7):
        await engine.log_in(f"c2-agent{n}", other, f"Agent C2 {n}")

    def dialled_each() -> Counter[int]:
        return Counter(a.campaign_id for a in attempts(dialer.sessions))

    await dialer.until(lambda: sum(dialled_each().values()) >= 120, clock_s=4 * 3600)
    shares = dialled_each()  # measured: about 60/60, and 110/10 when the first campaign always dials first
    assert min(shares.values()) >= 30, shares
    await engine.stop(drain_timeout=600)
    check_books(dialer.sessions)
    assert dialer.sim.pbx.peak_live_calls == 3


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_dialers_on_one_pbx_share_its_trunk_through_the_database(dialer: Dialer) -> None:
    first = await dialer.start_engine(agents=6, dialer_id="d1", policy=GREEDY, trunk_channels=4)
    second = await dialer.start_engine(agents=6, dialer_id="d2", policy=GREEDY, trunk_channels=4, agent_prefix="b-")
    both = (first, second)
    await dialer.until(lambda: all(e.counters["dialled"] >= 20 and e.counters["capped_by_trunk"] > 0 for e in both),
                       clock_s=4 * 3600)  # fmt: skip
    for engine in both:
        await engine.stop(drain_timeout=600)
    check_books(dialer.sessions)
    # Each alone counts only its own calls: without the shared count the two would hold up to 8 at once.
    assert dialer.sim.pbx.peak_live_calls == 4
