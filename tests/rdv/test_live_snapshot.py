"""Live campaign figures: what the engine's memory says, written on change, throttled, and announced."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dialer import agents as presence
from dialer import calls
from dialer.campaign_view import CampaignView
from dialer.live import LiveCall
from dialer.pacing import DialOutcome, PacingMode, PacingPolicy
from dialer.ports import AgentConnected, CallerQueued, CallRinging
from rdv.live_models import CampaignLive
from rdv.live_snapshot import SnapshotWriter, live_figures
from rdv.wakeup import FLOOR, LocalNotifier, campaign_topic
from tests.dialer.call_scenarios import T0
from tests.dialer.engine_harness import running_dialer


def _view() -> CampaignView:
    policy = PacingPolicy(mode=PacingMode.PROGRESSIVE, abandon_target=0.02)
    return CampaignView(1, "rdv-1", ZoneInfo("Europe/Paris"), policy, 10.0)


def _call(call_id: str, *events: object) -> LiveCall:
    state = calls.new_call(call_id, T0)
    for event in events:
        state = calls.apply(state, event)[0]  # type: ignore[arg-type]
    return LiveCall(state, 1, 1, 1, T0)


def test_figures_count_calls_by_phase_and_lines_per_agent_in_service() -> None:
    view = _view()
    view.stats.dial_resolved(T0.date(), DialOutcome.HUMAN, 5.0)
    view.stats.dial_resolved(T0.date(), DialOutcome.HUMAN, 5.0)
    view.stats.call_dropped(T0.date())
    ringing = [_call(f"r{n}", calls.OriginateSent(f"r{n}", T0), CallRinging(f"r{n}", T0)) for n in range(3)]
    queued = _call("q", CallerQueued("q", T0, "rdv-1"))
    connect = AgentConnected("t", T0, "rdv-1", "alice", "Local/alice@agents/n", 0.5)
    talking = _call("t", CallerQueued("t", T0, "rdv-1"), connect)
    ready = presence.log_in(presence.Agent("alice", 1, "rdv-1"), T0)[0]
    paused = presence.pause(presence.log_in(presence.Agent("bob", 1, "rdv-1"), T0)[0], T0, "lunch")[0]
    figures = live_figures([*ringing, queued, talking], [ready, paused], view, "running", T0 + timedelta(seconds=1))
    assert (figures.ringing, figures.queued, figures.talking) == (3, 1, 1)
    # A presence change changes the row, hence wakes the console.
    assert (figures.agents_ready, figures.agents_paused, figures.agents_on_call) == (1, 1, 0)
    # Four lines not yet with an agent, one agent in service (the paused one does not count).
    assert figures.dial_level == 4.0
    assert (figures.pacing_mode, figures.abandon_target, figures.dialing) == ("progressive", 0.02, "running")
    assert figures.abandon_today == 0.5 and (figures.humans_30d, figures.dropped_30d) == (2, 1)


def test_no_agent_in_service_means_a_dial_level_of_zero_not_a_division_by_zero() -> None:
    figures = live_figures([_call("r", CallRinging("r", T0))], [], _view(), "held", T0)
    assert figures.dial_level == 0.0 and figures.ringing == 1


async def test_a_running_engine_s_calls_reach_the_table_on_change_at_most_four_times_a_second(
        database_url: str) -> None:
    async with running_dialer(database_url, 300) as harness:
        engine = await harness.start_engine(agents=4)
        notifier = LocalNotifier()
        campaign_sub, floor_sub = notifier.subscribe(campaign_topic(harness.campaign_id)), notifier.subscribe(FLOOR)
        writer = SnapshotWriter(engine, harness.sessions, harness.clock, "d1", notifier, lambda _cid: "running")
        await harness.until(lambda: len(engine.calls) >= 2, clock_s=120)
        assert await writer.check(wall=100.0) == [harness.campaign_id]
        assert (campaign_sub.drain(), floor_sub.drain()) == (1, 1), "announced once the row is committed"
        # Within a quarter of a second of the last write nothing is written, whatever changed.
        await harness.until(lambda: engine.counters["dialled"] >= 8, clock_s=300)
        assert await writer.check(wall=100.2) == []
        assert await writer.check(wall=100.25) == [harness.campaign_id]
        with harness.sessions() as session:
            row = session.scalars(select(CampaignLive)).one()
        assert row.dialer_id == "d1" and row.pacing_mode == "predictive" and row.abandon_target == 0.03
        assert row.dials_today >= 8 and row.ringing + row.answering + row.queued + row.talking >= 1
        # Nothing changed since the last write: no write, no notification.
        engine.dialing = False
        await harness.until(lambda: not engine.calls and all(
            a.status is not presence.Status.WRAP_UP for a in engine.agents.values()), clock_s=900)
        await writer.check(wall=200.0)
        campaign_sub.drain()
        assert await writer.check(wall=300.0) == [] and campaign_sub.drain() == 0
