"""A connection lost while an action is being written: the caller gets one error, and asyncio logs nothing.

Found by the soak (bench/soak.py): each AMI cut during a busy minute left `Future exception was never
retrieved … PbxNotConnected` tracebacks at ERROR in the dialer's log, which read as crashes.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from config.clock import ScaledClock
from dialer.ami import AmiPbx
from dialer.ports import PbxNotConnected
from dialer.simulator import PbxSimulator


async def test_an_action_cut_while_sent_fails_once_and_leaves_no_unretrieved_future_error() -> None:
    sim = PbxSimulator(ScaledClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC), scale=200.0))
    await sim.start()
    pbx = AmiPbx("127.0.0.1", sim.port, "rdv", "rdv", sim.pbx.clock, seed=1)
    await pbx.connect()
    loop = asyncio.get_running_loop()
    reported: list[str] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(str(context.get("message"))))
    client = pbx._client
    assert client is not None
    lost = threading.Event()

    def cut_while_sending(_action: Any, _callback: Any) -> None:
        # The reader thread sees the peer close first, then the write fails: the order of a real cut.
        loop.call_soon_threadsafe(lambda: (pbx._mark_lost("closed by the PBX"), lost.set()))
        assert lost.wait(10)
        raise OSError(9, "Bad file descriptor")

    client.send_action = cut_while_sending  # type: ignore[method-assign]
    try:
        with pytest.raises(PbxNotConnected):
            await pbx.hangup("Local/0600000000@rdv-outbound-00000001;1")
        gc.collect()  # an unretrieved exception is reported when its future is collected
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
        await pbx.close()
        await sim.stop()
    assert lost.is_set(), "the cut did not happen during the send: the test proves nothing"
    assert reported == []
