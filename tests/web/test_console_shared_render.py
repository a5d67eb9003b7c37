"""Consoles of one campaign share a render when it began after the news each woke for, and only then."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

from rdv.wakeup import LocalNotifier
from rdv.web.console import SharedRender, live_events, shared_render


class CountedRender:
    """A render that counts itself and can be held half-way (it runs in a worker thread)."""

    def __init__(self) -> None:
        self.count = 0
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()

    def __call__(self) -> dict[str, str]:
        self.count += 1
        self.started.set()
        self.gate.wait()
        return {"render": str(self.count)}


def test_two_consoles_woken_by_the_same_news_send_one_render() -> None:
    async def scenario() -> None:
        notifier, shared, render = LocalNotifier(), SharedRender(), CountedRender()
        a = live_events(notifier, ["campaign:1"], "board", render, min_interval_s=0, shared=shared)
        b = live_events(notifier, ["campaign:1"], "board", render, min_interval_s=0, shared=shared)
        await anext(a)
        await anext(b)  # b connected after a's render began: it reads for itself
        assert render.count == 2
        waiting = asyncio.gather(anext(a), anext(b))
        await asyncio.sleep(0.01)
        notifier.notify("campaign:1")
        first, second = await waiting
        assert render.count == 3 and first == second == {"event": "board", "data": '{"render": "3"}'}
        await a.aclose()
        await b.aclose()

    asyncio.run(scenario())


def test_news_that_arrives_while_a_render_runs_gets_a_render_of_its_own() -> None:
    async def scenario() -> None:
        notifier, shared, render = LocalNotifier(), SharedRender(), CountedRender()
        a = live_events(notifier, ["campaign:1"], "board", render, min_interval_s=0, shared=shared)
        b = live_events(notifier, ["floor"], "board", render, min_interval_s=0, shared=shared)
        await anext(a)
        await anext(b)
        render.gate.clear()
        render.started.clear()
        sent_a, sent_b = asyncio.ensure_future(anext(a)), asyncio.ensure_future(anext(b))
        await asyncio.sleep(0.01)
        notifier.notify("campaign:1")
        # a's render has begun (read) before b's news
        assert await asyncio.to_thread(render.started.wait, 60), "a's news made no render"
        notifier.notify("floor")
        await asyncio.sleep(0.01)
        render.gate.set()
        assert (await sent_a)["data"] == '{"render": "3"}'
        assert (await sent_b)["data"] == '{"render": "4"}', "b's news came after a's read: b reads again"
        await a.aclose()
        await b.aclose()

    asyncio.run(scenario())


def test_each_campaign_and_event_loop_has_its_own_shared_render() -> None:
    state = SimpleNamespace()

    async def both() -> tuple[SharedRender, SharedRender, SharedRender]:
        return shared_render(state, 1), shared_render(state, 1), shared_render(state, 2)

    one, again, other = asyncio.run(both())
    assert one is again and one is not other
    later, _same, _other = asyncio.run(both())
    assert later is not one, "a lock of a closed loop cannot serve another"
