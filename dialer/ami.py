"""The AMI adapter: `dialer.ports.Pbx` over the `asterisk-ami` library, made reliable.

The session (connection, watchdog, readiness, deadlines) is `dialer.ami_session`; this module adds the
dialer's actions and the event bridge:
- every AMI message is mapped to dialer events (`dialer.amievents`) in the event loop, in arrival order;
- the queue members the dialer asked for are re-added and re-paused after every (re)connection, and a
  refused QueueAdd is retried at every watchdog beat; "Already there" / "Not there" are success;
- an Originate is never sent twice for one call_id once the PBX may have acted on it (a refusal while
  booting is the one resend, done by the session): the engine reconciles with `live_channels()`.
"""

from __future__ import annotations

import logging
from typing import Any

from asterisk.ami import Action

from config.clock import Clock
from dialer import ami_actions as acts
from dialer.ami_actions import Membership, Memberships, masked
from dialer.ami_session import AmiOptions, AmiSession
from dialer.amievents import events_from_message, live_channel_from
from dialer.amiwire import Message
from dialer.ports import DuplicateOriginate, LiveChannel, OriginateRequest, PbxError, PbxNotConnected, PbxRefused

log = logging.getLogger(__name__)
__all__ = ["AmiOptions", "AmiPbx"]


class AmiPbx(AmiSession):
    """`dialer.ports.Pbx` over AMI: `await connect()`, then actions and `events()`; `await close()` at the end."""

    def __init__(self, host: str, port: int, username: str, secret: str, clock: Clock,
                 options: AmiOptions | None = None, seed: int | None = None) -> None:
        super().__init__(host, port, username, secret, clock, options, seed)
        self._action_calls: dict[str, str] = {}
        self.sent_originates: set[str] = set()
        self.members = Memberships()

    @classmethod
    def from_settings(cls, settings: Any, clock: Clock, options: AmiOptions | None = None) -> AmiPbx:
        """From Settings.ami_host/port/username/secret."""
        return cls(settings.ami_host, settings.ami_port, settings.ami_username, settings.ami_secret, clock, options)

    # -- dialer.ports.Pbx --
    async def originate(self, request: OriginateRequest) -> None:
        """One asynchronous Originate; once the PBX may have acted on it for a call_id, never again."""
        call_id = request.call_id
        if call_id in self.sent_originates:
            raise DuplicateOriginate(f"Originate for call {call_id}: already sent once, never resent")
        action = acts.originate_action(request, self.options.originate_context, self.options.originate_exten)
        if not self.connected:
            raise PbxNotConnected(f"Originate for call {call_id}: not connected to the PBX at {self.where}")
        self.sent_originates.add(call_id)  # from here on, whatever happens, the engine reconciles
        await self._act("Originate", action, about=f" for call {call_id}",
                        on_id=lambda aid: self._remember(aid, call_id))

    def _remember(self, action_id: str, call_id: str) -> None:
        self._action_calls[action_id] = call_id
        if len(self._action_calls) > 100_000:  # keep the newest half: old calls have long had their response
            for stale in list(self._action_calls)[:50_000]:
                del self._action_calls[stale]

    async def hangup(self, channel: str, cause: int = 16) -> None:
        action = Action("Hangup", {"Channel": acts.clean("Hangup", channel), "Cause": str(cause)})
        await self._act("Hangup", action, about=f" of {channel}")

    # -- call control (dialer.call_control) --
    async def redirect(self, channel: str, context: str, exten: str, extra_channel: str = "",
                       extra_exten: str = "") -> None:
        """Move a channel (and its peer with `extra_channel`) to `context,exten,1`."""
        await self._act("Redirect", acts.redirect_action(channel, context, exten, extra_channel, extra_exten),
                        about=f" of {channel}")

    async def set_var(self, channel: str, name: str, value: str) -> None:
        await self._act("Setvar", acts.setvar_action(channel, name, value), about=f" of {name} on {channel}")

    async def originate_into(self, channel: str, context: str, exten: str, channel_id: str,
                             variables: dict[str, str], timeout_s: float = 30.0) -> None:
        """Ring a phone and, once it answers, run `context,exten` on it (listen, whisper, take a transfer)."""
        action = acts.originate_into_action(channel, context, exten, channel_id, variables, timeout_s)
        await self._act("Originate", action, about=f" of {channel} into {context}")

    async def queue_add(self, queue: str, interface: str, member_name: str, paused: bool = False) -> None:
        """Add a member (idempotent: "Already there" is success); kept and retried until the PBX takes it."""
        await self._apply(self.members.want(queue, interface, member_name, paused))

    async def queue_remove(self, queue: str, interface: str) -> None:
        """Remove a member (idempotent: "Not there" is success)."""
        self.members.drop(queue, interface)
        action = Action("QueueRemove", {"Queue": queue, "Interface": interface})
        try:
            await self._act("QueueRemove", action, about=f" of {interface} from {queue}")
        except PbxRefused as exc:
            if not acts.already_done("QueueRemove", exc.pbx_message):
                raise

    async def queue_pause(self, queue: str, interface: str, paused: bool, reason: str = "") -> None:
        self.members.paused(queue, interface, paused, reason)
        await self._act("QueuePause", acts.queue_pause_action(queue, interface, paused, reason),
                        about=f" of {interface} in {queue}")

    async def queue_members(self, queue: str) -> set[str] | None:
        """The member interfaces of `queue` (QueueStatus), or None if the PBX has no such queue.

        A missing queue is not an error on Asterisk 22: QueueStatus answers an empty list."""
        items = await self._list("QueueStatus", Action("QueueStatus", {"Queue": acts.clean("QueueStatus", queue)}),
                                 about=f" of {queue}")
        if not any(item.name == "QueueParams" and item.get("Queue") == queue for item in items):
            return None
        return {item.get("Location") for item in items if item.name == "QueueMember" and item.get("Queue") == queue}

    async def live_channels(self) -> list[LiveChannel]:
        """Every channel the PBX has now (CoreShowChannels), for reconciliation after a reconnect."""
        items = await self._list("CoreShowChannels", Action("CoreShowChannels"))
        return [live_channel_from(item) for item in items if item.name == "CoreShowChannel"]

    # -- queue memberships --
    async def _apply(self, member: Membership) -> None:
        """Make the PBX have `member` with its pause state; it stays pending (retried) if the PBX refuses."""
        about = f" of {member.interface} to {member.queue}"
        try:
            try:
                await self._act("QueueAdd", acts.queue_add_action(member.queue, member.interface, member.member_name,
                                                                  member.paused), about=about)
            except PbxRefused as exc:
                if not acts.already_done("QueueAdd", exc.pbx_message):
                    raise
                # Already there (persistent members, or our own earlier add): make the pause state ours.
                await self._act("QueuePause", acts.queue_pause_action(member.queue, member.interface,
                                                                      member.paused, member.reason), about=about)
        except PbxError:
            member.failures += 1
            raise
        member.pending, member.failures = False, 0

    async def _after_open(self) -> None:
        await self._restore_members()

    async def _on_beat(self) -> None:
        await self._retry_members()

    async def _restore_members(self) -> None:
        """After a (re)connection: every wanted member again, whether or not the PBX restarted."""
        self.members.reset()
        await self._retry_members()

    async def _retry_members(self) -> None:
        for member in self.members.pending():
            if self.members.get(member.queue, member.interface) is not member:
                continue  # removed meanwhile
            try:
                await self._apply(member)
            except PbxError as exc:
                level = logging.WARNING if member.failures == 1 else logging.DEBUG
                log.log(level, "queue member not (re)added, retried at the next beat: %s", exc)


    # -- events --
    def _deliver(self, messages: list[Message]) -> None:
        """Listener batches, in the loop: list items to their action, the rest mapped to dialer events."""
        at = self.clock.now()
        for message in messages:
            if self._take_session_message(message):
                continue
            try:
                for event in events_from_message(message, at, self._action_calls):
                    self._queue.put_nowait(event)
            except Exception as exc:
                # No traceback: its last line repeats the exception's text, which may hold a channel's number.
                log.error("AMI event %s could not be mapped (%s); skipped", message.name, masked(repr(exc)))
