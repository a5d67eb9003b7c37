"""The pacing bench's simulation: calls are conserved, baselines behave as their definitions say."""

from __future__ import annotations

import json

import pytest

from bench.pacing import Row, main, summarise
from bench.pacing_policies import VicidialAdaptTapered, dial_level, predictive, progressive, ratio
from bench.pacing_sim import FIRST_DAY, DayResult, DaySimulation, Draws, Policy, simulate_days
from dialer.pacing import MeasuredStats, PacingState, PacingStats

HOUR = 3600.0


def one_day(policy: Policy, agents: int = 5, answer_rate: float = 0.3, seed: int = 7, hours: float = 1) -> DayResult:
    draws = Draws.for_day(seed, size=20_000)
    return DaySimulation(agents, answer_rate, draws, PacingStats(), FIRST_DAY, day_s=hours * HOUR).run(policy)


def test_every_dial_ends_answered_by_a_machine_unanswered_or_still_ringing() -> None:
    day = one_day(ratio(4.0))
    assert day.dials > 100 and day.dropped > 0
    assert day.dials == day.humans + day.machines + day.others + day.ringing_at_end


def test_every_human_answer_is_connected_dropped_or_still_waiting() -> None:
    day = one_day(ratio(4.0))
    assert day.humans == day.connected + day.dropped + day.waiting_at_end


def test_progressive_dialing_never_drops_a_call() -> None:
    day = one_day(progressive(), agents=20, answer_rate=0.3)
    assert day.connected > 50 and day.dropped == 0


def test_the_same_draws_give_the_same_day() -> None:
    assert one_day(dial_level(2.0)) == one_day(dial_level(2.0))


def test_busy_time_never_exceeds_the_agents_logged_time() -> None:
    day = one_day(ratio(6.0), agents=5)
    assert 0.5 * 5 * HOUR < day.busy_s <= 5 * HOUR


def test_predictive_keeps_agents_busier_than_progressive_within_the_target() -> None:
    draws = [Draws.for_day(3, size=20_000)]
    ours = simulate_days(20, 0.15, predictive(), draws, day_s=2 * HOUR)[0]
    baseline = simulate_days(20, 0.15, progressive(), draws, day_s=2 * HOUR)[0]
    assert ours.busy_s > 1.1 * baseline.busy_s
    assert ours.abandon_rate <= 0.03


def test_summary_figures_follow_their_definitions() -> None:
    days = [
        DayResult(humans=100, dropped=2, connected=98, busy_s=20 * 3600.0),
        DayResult(humans=100, dropped=5, connected=95, busy_s=16 * 3600.0),
    ]
    row = summarise(5, 0.3, "x", days)
    logged = 5 * 8 * 3600.0 * 2
    assert row == Row(5, 0.3, "x", 36 * 3600 / logged, 7 / 200, 0.5, 193 / 80, (logged - 36 * 3600) / 193)


def vicidial_state(second: int, available: int, waiting: int = 0, humans: int = 0, dropped: int = 0) -> PacingState:
    return PacingState(
        now=float(second),
        agents_logged_in=10,
        agents_available=available,
        talking_s=(0.0,) * (10 - available),
        calls_waiting=waiting,
        lines_in_progress=waiting,
        measured=MeasuredStats(humans_today=humans, dropped_today=dropped),
    )


def test_vicidial_raises_its_dial_level_every_15_seconds_while_agents_wait_up_to_3() -> None:
    controller = VicidialAdaptTapered()
    levels = []
    for second in range(120):
        controller(vicidial_state(second, available=5))
        levels.append(controller.level)
    assert levels[13] == 1.0 and levels[14] == 1.5  # 1 × (1 + 5 ready / 10 agents)
    assert levels[29] == 2.25 and max(levels) == 3.0


def test_vicidial_tapers_its_dial_level_when_the_days_drops_pass_the_target() -> None:
    controller = VicidialAdaptTapered(level=2.0)
    # 13:00 is four hours before the 17:00 latest time: the level is multiplied by 400 / 1000.
    afternoon = 4 * 3600
    for second in range(afternoon, afternoon + 15):
        controller(vicidial_state(second, available=0, humans=1000, dropped=50))
    assert controller.level == 1.0  # 2.0 × 0.4 = 0.8, raised back to the 1.0 floor
    controller = VicidialAdaptTapered(level=3.0)
    for second in range(afternoon, afternoon + 15):
        controller(vicidial_state(second, available=0, humans=1000, dropped=10))
    assert controller.level == 3.0


def test_the_json_report_has_one_row_per_policy_with_the_issues_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "--quick", "--agents", "5", "--days", "1", "--hours", "0.25", "--jobs", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = report["scenarios"]
    assert [r["policy"] for r in rows] == ["progressive", "ratio2", "vicidial_adapt", "predictive", "hindsight"]
    fields = {"agents", "answer_rate", "policy", "occupancy", "abandon_rate", "days_over_target"}
    assert all(set(r) == fields | {"contacts_per_agent_hour", "mean_wait_s"} for r in rows)
    assert all(r["agents"] == 5 and r["answer_rate"] == 0.15 and 0 < r["occupancy"] <= 1 for r in rows)
