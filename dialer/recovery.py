"""Reconciliation with the PBX: after a crash, a reconnection, a long silence, or at stop.

A call the PBX no longer has a channel for is ended with what we know (`calls.ChannelsGone`), once; a call
it still has is kept (or, after a crash, adopted) and its events keep coming. None stays "in progress"
forever: if the PBX cannot be asked now, the next sweep asks again.

It works on the engine's state object, asks the PBX, and acts through the two engine actions of `Steering`
(end a call that is gone, send queue commands): nothing else of the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from config.orm import transaction
from dialer import agents as presence
from dialer import ports, store
from dialer.engine_state import EngineState
from dialer.live import LiveCall, alive_call_ids
from dialer.models import AgentRecord
from dialer.redact import redact_phones

log = logging.getLogger(__name__)

# A call whose Originate returned less than this ago may not have a channel yet (Async originate).
ORIGINATE_GRACE_S = 3.0


class Steering(Protocol):
    """The engine's actions recovery may take."""

    async def end_gone(self, live: LiveCall) -> None:
        """End a call the PBX no longer has (ChannelsGone), storing and spreading what it causes."""

    async def send(self, commands: Iterable[presence.QueueCommand]) -> None:
        """Send queue commands to the PBX."""


async def alive_ids(pbx: ports.Pbx) -> set[str] | None:
    """Call ids the PBX has channels for, or None if it cannot say right now."""
    try:
        return alive_call_ids(await pbx.live_channels())
    except ports.PbxError as error:
        log.warning("cannot list the PBX's channels: %s", redact_phones(str(error)))
        return None


async def reconcile(state: EngineState, pbx: ports.Pbx, steer: Steering, candidates: list[LiveCall]) -> int:
    """End the candidate calls the PBX no longer has; returns how many."""
    alive = await alive_ids(pbx)
    if alive is None:
        return 0
    ended = 0
    for live in candidates:
        if live.call_id in state.calls and live.call_id not in alive:
            await steer.end_gone(live)
            ended += 1
    state.counters["reconciled_calls"] += ended
    return ended


async def after_reconnect(state: EngineState, pbx: ports.Pbx, steer: Steering) -> None:
    """The AMI session is back: the PBX may have restarted (queues emptied, calls lost) or not."""
    await steer.send(rejoin_commands(state))
    now = state.clock.now()
    settled = [
        c
        for c in state.calls.values()
        if c.sent_at is not None and (now - c.sent_at).total_seconds() > ORIGINATE_GRACE_S
    ]
    ended = await reconcile(state, pbx, steer, settled)
    state.counters["connection_restored"] += 1
    log.info("PBX connection restored: %d live calls, %d ended by reconciliation", len(state.calls), ended)


def rejoin_commands(state: EngineState) -> list[presence.QueueCommand]:
    """Logged-in agents back in their queue (harmless if they are still there), paused as they are."""
    commands: list[presence.QueueCommand] = []
    for agent in list(state.agents.values()):
        if not agent.logged_in:
            continue
        # Kept for a personal callback (dialled or on it): the queue must hand them nothing else meanwhile.
        paused = agent.status in (presence.Status.PAUSED, presence.Status.WRAP_UP) or bool(agent.kept_for)
        commands.append(presence.QueueAdd(agent.queue, agent.interface, agent.login, paused))
        kept = presence.CALLBACK_REASON if agent.kept_for and agent.status is not presence.Status.WRAP_UP else ""
        reason = agent.pause_reason or kept or (presence.WRAP_UP_REASON if paused else "")
        commands.append(presence.QueuePause(agent.queue, agent.interface, paused, reason))
    return commands


async def recover_after_crash(state: EngineState, pbx: ports.Pbx, steer: Steering) -> None:
    """Adopt or end the attempts a previous process of this dialer left live, restore agents, free its claims."""
    with transaction(state.sessions) as session:
        for attempt in store.live_attempts(session, state.dialer_id, state.campaign_ids):
            call = store.call_from_attempt(session, attempt)
            sent = attempt.originated_at or attempt.created_at
            state.calls[call.call_id] = LiveCall(call, attempt.id, attempt.campaign_id, attempt.lead_id, sent_at=sent)
        records = [
            r
            # Only this engine's agents: another server's (driven by another engine) are not on this PBX.
            for r in session.query(AgentRecord).filter(AgentRecord.campaign_id.in_(state.campaign_ids),
                                                       AgentRecord.dialer_id.in_(("", state.dialer_id)))
            if r.state != presence.Status.LOGGED_OUT.value
        ]
    # Counted before any await: the event consumer already runs and may end an adopted call meanwhile.
    adopted = len(state.calls)
    _restore_agents(state, records)
    await steer.send(rejoin_commands(state))
    ended = await reconcile(state, pbx, steer, list(state.calls.values())) if state.calls else 0
    with transaction(state.sessions) as session:
        kept = [c.lead_id for c in state.calls.values()]
        released = store.release_orphan_claims(session, state.dialer_id, keep=kept)
    if adopted or released:
        log.info("dialer %s restarted: %d calls found live, %d ended, %d claims released",
                 state.dialer_id, adopted, ended, released)  # fmt: skip
    state.counters["recovered_calls"] += adopted


def _restore_agents(state: EngineState, records: list[AgentRecord]) -> None:
    """Agents stay logged in across a dialer restart; one on a call we no longer have is available again."""
    for record in records:
        if record.campaign_id is None or record.campaign_id not in state.views:
            continue
        status = presence.Status(record.state)
        call_id = record.call_id if status is presence.Status.ON_CALL and record.call_id in state.calls else ""
        if status in (presence.Status.ON_CALL, presence.Status.WRAP_UP) and not call_id:
            status = presence.Status.AVAILABLE
        state.agents[record.login] = presence.Agent(
            login=record.login,
            campaign_id=record.campaign_id,
            queue=state.views[record.campaign_id].queue,
            display_name=record.display_name,
            status=status,
            since=record.since,
            pause_reason=record.pause_reason if status is presence.Status.PAUSED else "",
            call_id=call_id,
        )


async def end_remaining(state: EngineState, pbx: ports.Pbx, steer: Steering) -> None:
    """At stop, after the drain time: hang up what is still live on the PBX and end every remaining call."""
    try:
        channels = await pbx.live_channels()
    except ports.PbxError:
        channels = []
    for channel in channels:
        if channel.uniqueid in state.calls:
            try:
                await pbx.hangup(channel.channel)
            except ports.PbxError as error:
                # The error names the channel, `Local/<number>@rdv-outbound`: the number never reaches the log.
                log.warning("hangup at stop failed: %s", redact_phones(str(error)))
    for live in list(state.calls.values()):
        state.counters["ended_at_stop"] += 1
        await steer.end_gone(live)
