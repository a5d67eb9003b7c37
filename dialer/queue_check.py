"""Queue commands, and is each campaign's queue on the PBX with its agents in it? Never dial into certain abandonment.

A campaign whose queue the PBX does not have cannot hand a single answered call to an agent: every human
would hear the drop message. The engine asks at its start, after a reconnection and at each opening of the
campaign's day; a missing queue (or a QueueAdd answered "No such queue") stops the campaign: no more dials,
its status `no_queue` stored, an English log line and a French message for the supervisor. Agents the queue
lacks are added again. If the PBX cannot answer now, nothing is decided: the next check asks again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from config.i18n import _
from config.orm import transaction
from dialer import agents as presence
from dialer import ports, store
from dialer.engine_state import EngineState
from dialer.recovery import Steering

log = logging.getLogger(__name__)

NO_QUEUE = "no_queue"  # the campaign status a missing queue leaves


def stopped_message(campaign: str, queue: str) -> str:
    """What the supervisor reads about a campaign stopped for its missing queue."""
    return _("Campaign {campaign} stopped: the PBX has no queue {queue}, so no answered call could reach an "
             "agent. Add the queue (rdv asterisk config), reload Asterisk, then rdv campaign start {campaign} and "
             "restart rdv run").format(campaign=campaign, queue=queue)


def says_no_such_queue(error: ports.PbxError) -> bool:
    """Whether the PBX refused a queue action because the queue does not exist."""
    return isinstance(error, ports.PbxRefused) and "no such queue" in str(error).lower()


async def check_queue(state: EngineState, pbx: ports.Pbx, steer: Steering, campaign_id: int) -> bool:
    """Check one campaign's queue and members; False when the campaign is (now) stopped."""
    if campaign_id in state.stopped:
        return False
    view = state.views[campaign_id]
    try:
        members = await pbx.queue_members(view.queue)
    except ports.PbxError as error:
        state.counters["queue_check_errors"] += 1
        log.warning("cannot check queue %s of campaign %s: %s", view.queue, campaign_id, error)
        return True
    if members is None:
        stop_campaign(state, campaign_id)
        return False
    missing = [a for a in state.agents.values()
               if a.campaign_id == campaign_id and a.logged_in and a.interface not in members]  # fmt: skip
    if missing:
        state.counters["queue_members_added_again"] += len(missing)
        log.warning("queue %s lacked %d logged-in agents: adding them again", view.queue, len(missing))
        await steer.send(_rejoin(missing))
    return campaign_id not in state.stopped


def _rejoin(agents: list[presence.Agent]) -> list[presence.QueueCommand]:
    commands: list[presence.QueueCommand] = []
    for agent in agents:
        paused = agent.status in (presence.Status.PAUSED, presence.Status.WRAP_UP, presence.Status.ON_CALL) or bool(
            agent.kept_for)
        commands.append(presence.QueueAdd(agent.queue, agent.interface, agent.login, paused))
    return commands


async def send_commands(state: EngineState, pbx: ports.Pbx, commands: Iterable[presence.QueueCommand]) -> None:
    """Send queue commands; a refusal is logged (the presence model stays the truth), "No such queue" stops."""
    for command in commands:
        try:
            if isinstance(command, presence.QueueAdd):
                await pbx.queue_add(command.queue, command.interface, command.member_name, command.paused)
            elif isinstance(command, presence.QueueRemove):
                await pbx.queue_remove(command.queue, command.interface)
            else:
                await pbx.queue_pause(command.queue, command.interface, command.paused, command.reason)
        except ports.PbxError as error:
            state.counters["queue_command_errors"] += 1
            log.warning("queue command %s failed: %s", type(command).__name__, error)
            if says_no_such_queue(error):
                queue_refused(state, command.queue)


def queue_refused(state: EngineState, queue: str) -> None:
    """A queue action was answered "No such queue": stop the campaigns of that queue."""
    for campaign_id, view in state.views.items():
        if view.queue == queue:
            stop_campaign(state, campaign_id)


def stop_campaign(state: EngineState, campaign_id: int) -> None:
    """Stop dialling a campaign whose queue is missing, and store why (once)."""
    if campaign_id in state.stopped:
        return
    queue = state.views[campaign_id].queue
    with transaction(state.sessions) as session:
        name = store.set_campaign_status(session, campaign_id, NO_QUEUE)
    state.stopped[campaign_id] = stopped_message(name, queue)
    state.counters["campaigns_stopped_no_queue"] += 1
    log.error("campaign %s stopped: the PBX has no queue %s (no answered call could reach an agent)",
              campaign_id, queue)  # fmt: skip
