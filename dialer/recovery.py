"""Reconciliation with the PBX: after a crash, a reconnection, a long silence, or at stop.

A call the PBX no longer has a channel for is ended with what we know (`calls.ChannelsGone`), once; a call
it still has is kept (or, after a crash, adopted) and its events keep coming. None stays "in progress"
forever: if the PBX cannot be asked now, the next sweep asks again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dialer import agents as presence
from dialer import calls, ports, store
from dialer.live import LiveCall, alive_call_ids
from dialer.models import AgentRecord
from rdv.db import transaction

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)

# A call whose Originate returned less than this ago may not have a channel yet (Async originate).
ORIGINATE_GRACE_S = 3.0


async def alive_ids(engine: Engine) -> set[str] | None:
    """Call ids the PBX has channels for, or None if it cannot say right now."""
    try:
        return alive_call_ids(await engine.pbx.live_channels())
    except ports.PbxError as error:
        log.warning("cannot list the PBX's channels: %s", error)
        return None


async def reconcile(engine: Engine, candidates: list[LiveCall]) -> int:
    """End the candidate calls the PBX no longer has; returns how many."""
    alive = await alive_ids(engine)
    if alive is None:
        return 0
    now = engine.clock.now()
    ended = 0
    for live in candidates:
        if live.call_id in engine.calls and live.call_id not in alive:
            await engine.send(engine.fold(live, calls.ChannelsGone(live.call_id, now)))
            ended += 1
    engine.counters["reconciled_calls"] += ended
    return ended


async def after_reconnect(engine: Engine) -> None:
    """The AMI session is back: the PBX may have restarted (queues emptied, calls lost) or not."""
    await _rejoin_queues(engine)
    now = engine.clock.now()
    settled = [
        c
        for c in engine.calls.values()
        if c.sent_at is not None and (now - c.sent_at).total_seconds() > ORIGINATE_GRACE_S
    ]
    ended = await reconcile(engine, settled)
    engine.counters["connection_restored"] += 1
    log.info("PBX connection restored: %d live calls, %d ended by reconciliation", len(engine.calls), ended)


async def _rejoin_queues(engine: Engine) -> None:
    """Put logged-in agents back in their queue (refused harmlessly if they are still there), paused as they are."""
    commands: list[presence.QueueCommand] = []
    for agent in list(engine.agents.values()):
        if not agent.logged_in:
            continue
        paused = agent.status in (presence.Status.PAUSED, presence.Status.WRAP_UP)
        commands.append(presence.QueueAdd(agent.queue, agent.interface, agent.login, paused))
        reason = agent.pause_reason or (presence.WRAP_UP_REASON if paused else "")
        commands.append(presence.QueuePause(agent.queue, agent.interface, paused, reason))
    await engine.send(commands)


async def recover_after_crash(engine: Engine) -> None:
    """Adopt or end the attempts a previous process of this dialer left live, restore agents, free its claims."""
    with transaction(engine.sessions) as session:
        for attempt in store.live_attempts(session, engine.dialer_id, engine.campaign_ids):
            call = store.call_from_attempt(session, attempt)
            sent = attempt.originated_at or attempt.created_at
            engine.calls[call.call_id] = LiveCall(call, attempt.id, attempt.campaign_id, attempt.lead_id, sent_at=sent)
        records = [
            r
            for r in session.query(AgentRecord).filter(AgentRecord.campaign_id.in_(engine.campaign_ids))
            if r.state != presence.Status.LOGGED_OUT.value
        ]
    # Counted before any await: the event consumer already runs and may end an adopted call meanwhile.
    adopted = len(engine.calls)
    _restore_agents(engine, records)
    await _rejoin_queues(engine)
    ended = await reconcile(engine, list(engine.calls.values())) if engine.calls else 0
    with transaction(engine.sessions) as session:
        kept = [c.lead_id for c in engine.calls.values()]
        released = store.release_orphan_claims(session, engine.dialer_id, keep=kept)
    if adopted or released:
        log.info("dialer %s restarted: %d calls found live, %d ended, %d claims released",
                 engine.dialer_id, adopted, ended, released)  # fmt: skip
    engine.counters["recovered_calls"] += adopted


def _restore_agents(engine: Engine, records: list[AgentRecord]) -> None:
    """Agents stay logged in across a dialer restart; one on a call we no longer have is available again."""
    for record in records:
        if record.campaign_id is None or record.campaign_id not in engine.views:
            continue
        status = presence.Status(record.state)
        call_id = record.call_id if status is presence.Status.ON_CALL and record.call_id in engine.calls else ""
        if status in (presence.Status.ON_CALL, presence.Status.WRAP_UP) and not call_id:
            status = presence.Status.AVAILABLE
        engine.agents[record.login] = presence.Agent(
            login=record.login,
            campaign_id=record.campaign_id,
            queue=engine.views[record.campaign_id].queue,
            display_name=record.display_name,
            status=status,
            since=record.since,
            pause_reason=record.pause_reason if status is presence.Status.PAUSED else "",
            call_id=call_id,
        )


async def end_remaining(engine: Engine) -> None:
    """At stop, after the drain time: hang up what is still live on the PBX and end every remaining call."""
    try:
        channels = await engine.pbx.live_channels()
    except ports.PbxError:
        channels = []
    for channel in channels:
        if channel.uniqueid in engine.calls:
            try:
                await engine.pbx.hangup(channel.channel)
            except ports.PbxError as error:
                log.warning("hangup at stop failed: %s", error)
    now = engine.clock.now()
    for live in list(engine.calls.values()):
        engine.counters["ended_at_stop"] += 1
        await engine.send(engine.fold(live, calls.ChannelsGone(live.call_id, now)))
