"""Pacing rule: the properties every mode keeps, and the predictive mode's fall-backs."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dialer.pacing import (
    DialOutcome,
    DurationSummary,
    MeasuredStats,
    PacingMode,
    PacingPolicy,
    PacingState,
    PacingStats,
    line_cap,
    lines_to_dial,
)

WELL_MEASURED = MeasuredStats(
    dials=2000,
    answer_rate=0.15,
    machine_rate=0.10,
    answer_delay=DurationSummary.uniform(10, 30),
    other_delay=DurationSummary.uniform(10, 30),
    talk=DurationSummary(500, 180.0, 90.0, tuple(60.0 + 26.0 * i for i in range(10))),
    wrap=DurationSummary(500, 20.0, 0.0, (20.0,) * 10),
    humans_today=1000,
    dropped_today=10,
    humans_30d=20000,
    dropped_30d=300,
)

durations = st.lists(st.floats(0, 3600, allow_nan=False), max_size=60).map(tuple)


@st.composite
def measured_stats(draw: st.DrawFn) -> MeasuredStats:
    humans_today = draw(st.integers(0, 5000))
    humans_30d = humans_today + draw(st.integers(0, 100000))
    return MeasuredStats(
        dials=draw(st.integers(0, 5000)),
        answer_rate=draw(st.floats(0, 1)),
        machine_rate=draw(st.floats(0, 1)),
        answer_delay=draw(st.sampled_from([DurationSummary(), DurationSummary.uniform(10, 30)])),
        other_delay=draw(st.sampled_from([DurationSummary(), DurationSummary.uniform(5, 40)])),
        talk=draw(st.sampled_from([DurationSummary(), WELL_MEASURED.talk])),
        wrap=draw(st.sampled_from([DurationSummary(), WELL_MEASURED.wrap])),
        humans_today=humans_today,
        dropped_today=draw(st.integers(0, humans_today)),
        humans_30d=humans_30d,
        dropped_30d=draw(st.integers(0, humans_30d)),
    )


@st.composite
def states(draw: st.DrawFn, measured: st.SearchStrategy[MeasuredStats] = measured_stats()) -> PacingState:
    logged_in = draw(st.integers(0, 60))
    available = draw(st.integers(0, logged_in))
    talking = draw(durations)[: logged_in - available]
    wrapping = draw(durations)[: logged_in - available - len(talking)]
    ringing = draw(durations.map(lambda ages: tuple(min(a, 60.0) for a in ages)))
    waiting = draw(st.integers(0, 10))
    return PacingState(
        now=draw(st.floats(0, 2e9)),
        agents_logged_in=logged_in,
        agents_available=available,
        talking_s=talking,
        wrapping_s=wrapping,
        lines_in_progress=len(ringing) + waiting + draw(st.integers(0, 5)),
        ringing_ages_s=ringing,
        calls_waiting=waiting,
        measured=draw(measured),
    )


policies = st.builds(
    PacingPolicy,
    mode=st.sampled_from(list(PacingMode)),
    ratio=st.floats(0, 5),
    abandon_target=st.floats(0, 0.1),
    max_lines_per_agent=st.floats(0, 6),
    min_calls_for_estimate=st.integers(0, 300),
)


@given(states(), policies)
def test_lines_to_dial_is_never_negative_nor_above_the_cap(state: PacingState, policy: PacingPolicy) -> None:
    lines = lines_to_dial(state, policy)
    assert 0 <= lines <= line_cap(state, policy)
    if lines:
        assert lines + state.lines_in_progress <= policy.max_lines_per_agent * state.agents_logged_in + 1e-6


@given(states(), policies)
def test_no_line_is_dialled_when_no_agent_is_logged_in(state: PacingState, policy: PacingPolicy) -> None:
    nobody = PacingState(now=state.now, agents_logged_in=0, agents_available=0, measured=state.measured)
    assert lines_to_dial(nobody, policy) == 0


@given(states(), policies)
def test_preview_never_dials_because_the_agent_asks_for_the_next_lead(state: PacingState, policy: PacingPolicy) -> None:
    preview = PacingPolicy(mode=PacingMode.PREVIEW, max_lines_per_agent=policy.max_lines_per_agent)
    assert lines_to_dial(state, preview) == 0


@given(states())
def test_progressive_dials_one_line_per_available_agent_not_yet_covered(state: PacingState) -> None:
    progressive = PacingPolicy(mode=PacingMode.PROGRESSIVE, max_lines_per_agent=100)
    expected = max(0, state.agents_available - state.lines_in_progress) if state.agents_logged_in else 0
    assert lines_to_dial(state, progressive) == expected


def busy_state(measured: MeasuredStats, available: int = 2) -> PacingState:
    """Twenty agents, most of them near the end of a call, few lines out: predictive wants to dial ahead."""
    return PacingState(
        now=0.0,
        agents_logged_in=20,
        agents_available=available,
        talking_s=tuple(150.0 + 10 * i for i in range(20 - available)),
        lines_in_progress=1,
        ringing_ages_s=(5.0,),
        measured=measured,
    )


def test_predictive_dials_ahead_of_agents_about_to_free_up() -> None:
    state = busy_state(WELL_MEASURED)
    assert lines_to_dial(state, PacingPolicy()) > lines_to_dial(state, PacingPolicy(mode=PacingMode.PROGRESSIVE))


def test_predictive_falls_back_to_progressive_until_enough_calls_are_measured() -> None:
    few = MeasuredStats(**{**WELL_MEASURED.__dict__, "dials": 50})
    assert lines_to_dial(busy_state(few), PacingPolicy(min_calls_for_estimate=100)) == 1


@given(st.integers(0, 200), st.integers(0, 5000))
def test_predictive_falls_back_to_progressive_once_todays_abandonment_passes_the_target(
    excess: int, humans: int
) -> None:
    # Past the target by more than the start-of-day credit of one drop.
    dropped = int(0.03 * humans) + 2 + excess
    over = MeasuredStats(**{**WELL_MEASURED.__dict__, "humans_today": humans, "dropped_today": dropped})
    assert lines_to_dial(busy_state(over), PacingPolicy()) == 1


def test_predictive_falls_back_to_progressive_once_the_30_day_abandonment_passes_the_target() -> None:
    over = MeasuredStats(**{**WELL_MEASURED.__dict__, "humans_30d": 20000, "dropped_30d": 700})
    assert lines_to_dial(busy_state(over), PacingPolicy()) == 1


def test_stats_count_abandonment_per_day_and_over_a_rolling_window() -> None:
    stats = PacingStats(rolling_days=30)
    first, later, much_later = date(2026, 3, 2), date(2026, 3, 20), date(2026, 4, 5)
    for day in (first, later, much_later):
        stats.dial_resolved(day, DialOutcome.HUMAN, 12.0)
        stats.dial_resolved(day, DialOutcome.HUMAN, 14.0)
        stats.call_dropped(day)
        stats.dial_resolved(day, DialOutcome.OTHER, 30.0)
    snap = stats.snapshot(much_later)
    assert (snap.humans_today, snap.dropped_today) == (2, 1)
    assert (snap.humans_30d, snap.dropped_30d) == (4, 2)  # 2 March is more than 30 days before 5 April
    assert snap.dials == 9 and abs(snap.answer_rate - 6 / 9) < 1e-12
    assert snap.answer_delay.count == 6 and snap.answer_delay.mean == 13.0


def test_stats_measure_rates_over_the_most_recent_calls_only() -> None:
    stats = PacingStats(window_calls=10)
    day = date(2026, 3, 2)
    for _ in range(10):
        stats.dial_resolved(day, DialOutcome.HUMAN, 10.0)
    for _ in range(10):
        stats.dial_resolved(day, DialOutcome.MACHINE, 10.0)
    snap = stats.snapshot(day)
    assert snap.answer_rate == 0.0 and snap.machine_rate == 1.0
    assert snap.humans_today == 10  # abandonment counts are per day, not windowed


stat_events = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(["human", "machine", "other", "drop"]), st.floats(1, 60)),
    max_size=120,
)


@given(stat_events)
def test_stats_snapshot_matches_a_recount_of_the_outcomes(events: list[tuple[int, str, float]]) -> None:
    stats = PacingStats(window_calls=25, window_durations=10, rolling_days=2)
    day = date(2026, 3, 2)
    days, outcomes, human_delays = [], [], []
    for step, kind, delay in events:
        day = day + timedelta(days=step // 3)  # mostly the same day, sometimes the next ones
        days.append((day, kind))
        if kind == "drop":
            stats.call_dropped(day)
            continue
        stats.dial_resolved(day, DialOutcome(kind), delay)
        outcomes.append(kind)
        if kind == "human":
            human_delays.append(delay)
    snap = stats.snapshot(day)
    recent = outcomes[-25:]
    assert snap.dials == len(recent)
    assert snap.answer_rate == (recent.count("human") / len(recent) if recent else 0.0)
    assert snap.humans_today == sum(1 for d, k in days if d == day and k == "human")
    assert snap.dropped_today == sum(1 for d, k in days if d == day and k == "drop")
    window = {day, day - timedelta(days=1)}
    assert snap.humans_30d == sum(1 for d, k in days if d in window and k == "human")
    assert snap.dropped_30d == sum(1 for d, k in days if d in window and k == "drop")
    assert snap.answer_delay.count == len(human_delays[-10:])
    if human_delays:
        assert abs(snap.answer_delay.mean - sum(human_delays[-10:]) / len(human_delays[-10:])) < 1e-6
        assert list(snap.answer_delay.points) == sorted(snap.answer_delay.points)


@given(states(measured=st.just(WELL_MEASURED)))
def test_predictive_dials_no_fewer_lines_than_progressive(state: PacingState) -> None:
    progressive = PacingPolicy(mode=PacingMode.PROGRESSIVE)
    assert lines_to_dial(state, PacingPolicy()) >= lines_to_dial(state, progressive)


@given(states(measured=st.just(WELL_MEASURED)))
def test_one_more_line_already_ringing_never_means_more_new_lines(state: PacingState) -> None:
    more = dataclasses.replace(
        state, lines_in_progress=state.lines_in_progress + 1, ringing_ages_s=state.ringing_ages_s + (0.0,)
    )
    assert lines_to_dial(more, PacingPolicy()) <= lines_to_dial(state, PacingPolicy())


def test_lines_in_amd_count_as_humans_about_to_arrive_so_fewer_new_lines_are_dialled() -> None:
    # Three lines answered, AMD still deciding: with a 60 % human share they are far likelier to need an
    # agent in seconds than three lines just dialled.
    base = dataclasses.replace(busy_state(WELL_MEASURED, available=4), lines_in_progress=4)
    in_amd = dataclasses.replace(base, answering=3)
    assert lines_to_dial(in_amd, PacingPolicy()) < lines_to_dial(base, PacingPolicy())


@given(states(measured=st.just(WELL_MEASURED)))
def test_a_ringing_line_turning_into_a_line_in_amd_never_means_more_new_lines(state: PacingState) -> None:
    if not state.ringing_ages_s:
        return
    answered = dataclasses.replace(state, ringing_ages_s=state.ringing_ages_s[1:], answering=state.answering + 1)
    assert lines_to_dial(answered, PacingPolicy()) <= lines_to_dial(state, PacingPolicy())
