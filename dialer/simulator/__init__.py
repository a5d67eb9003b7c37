"""A PBX simulator that speaks the Asterisk Manager Interface over TCP, for the demo and the tests.

`PbxSimulator(clock, seed=…)`: `await start()`, `.port`, `await stop()`; outcomes from `OutcomeModel`
(seeded, by hour and line type) or `ScriptedOutcomes`; agents via QueueAdd or `add_simulated_agents()`.
"""

from dialer.simulator.members import AgentProfile
from dialer.simulator.outcomes import CallPlan, Outcome, OutcomeModel, OutcomeProfile, ScriptedOutcomes
from dialer.simulator.server import Faults, PbxSimulator

__all__ = [
    "AgentProfile",
    "CallPlan",
    "Faults",
    "Outcome",
    "OutcomeModel",
    "OutcomeProfile",
    "PbxSimulator",
    "ScriptedOutcomes",
]
