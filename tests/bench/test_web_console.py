"""The console bench reads what the real agent table renders, and its callees answer as it is told."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bench.web_console import ROW, START, callee_profile
from dialer.simulator.outcomes import Outcome, OutcomeModel
from rdv.console_figures import AgentLine, Floor, Live
from rdv.runtime import agent_logins
from rdv.web.console_view import fragment


def test_the_bench_reads_every_agent_row_of_the_rendered_table_with_the_dialers_logins() -> None:
    logins = agent_logins([7], 3, dialer_id="bench")[7]  # the bench's dialer prefixes its agents: bench-agent1…
    since = datetime(2026, 11, 23, 13, 0, 5, tzinfo=UTC)
    lines = [AgentLine(login, login, state, "", since) for login, state in zip(logins, ("available", "on_call",
                                                                                        "wrap_up"), strict=True)]
    board = Floor(7, "Bench", "running", "Europe/Paris", Live(), lines, argued=0, rdvs=0, connected=0, occupancy=None)
    html = fragment("console/_agents.html", {"board": board, "now": since})
    rows = ROW.findall(html)
    since_ms = str(int(since.timestamp() * 1000))
    assert rows == [(logins[0], "available", since_ms), (logins[1], "on_call", since_ms),
                    (logins[2], "wrap_up", since_ms)]  # fmt: skip


def _answered_share(model: OutcomeModel, calls: int = 4000) -> float:
    rng = random.Random(3)
    plans = [model.draw("+33612345678", START, rng) for _ in range(calls)]
    return sum(p.outcome in (Outcome.HUMAN, Outcome.MACHINE) for p in plans) / calls


def test_a_lower_answer_factor_makes_fewer_callees_answer_and_the_others_ring_until_the_timeout() -> None:
    usual, poor = _answered_share(OutcomeModel(callee_profile(1.0))), _answered_share(OutcomeModel(callee_profile(0.3)))
    assert usual > 0.2
    assert poor < usual * 0.45
    rng = random.Random(4)
    unanswered = [p for p in (OutcomeModel(callee_profile(0.0)).draw("+33612345678", START, rng) for _ in range(200))
                  if p.outcome is Outcome.NOANSWER]
    assert len(unanswered) > 150 and all(p.ring_s >= 3600 for p in unanswered)
