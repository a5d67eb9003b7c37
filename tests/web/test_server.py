"""The web server inside our own loop: live streams end when the service stops, without errors in the log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from rdv.web.app import EventSourceResponse
from rdv.web.roles import public
from rdv.web.server import InvalidListen, Listen, bind, serve_web, url_of


def _with_stream(web: FastAPI) -> None:
    router = APIRouter()

    async def ticks() -> AsyncIterator[dict[str, str]]:
        n = 0
        while True:
            n += 1
            yield {"data": str(n)}
            await asyncio.sleep(0.05)

    @router.get("/ticks", dependencies=[public()])
    async def stream() -> EventSourceResponse:
        return EventSourceResponse(ticks())

    web.include_router(router)


async def test_an_open_live_stream_ends_when_the_server_stops(web_app: FastAPI,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    _with_stream(web_app)
    caplog.set_level(logging.INFO)
    sock = bind(Listen("127.0.0.1", 0))
    stop = asyncio.Event()
    server = asyncio.create_task(serve_web(web_app, sock, stop))
    received: list[str] = []
    # The stream is cut at the stop (the browser's EventSource then tries again, elsewhere or later).
    async with httpx.AsyncClient(base_url=url_of(sock), timeout=30) as client, contextlib.AsyncExitStack() as cut:
        cut.enter_context(contextlib.suppress(httpx.RemoteProtocolError))
        async with client.stream("GET", "/ticks") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["x-frame-options"] == "DENY"
            async for line in response.aiter_lines():  # a browser keeps reading until the server ends it
                if line.startswith("data:"):
                    received.append(line)
                if len(received) == 3:
                    stop.set()
    await server
    assert len(received) >= 3
    text = caplog.text
    assert "graceful shutdown exceeded" not in text and "Exception in ASGI application" not in text, text
    assert "ASGI callable returned without" not in text


@pytest.mark.parametrize("text", ["localhost", ":8000", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:http"])
def test_a_listen_address_is_host_and_port(text: str) -> None:
    with pytest.raises(InvalidListen, match="Adresse web invalide"):
        Listen.parse(text)


def test_listen_addresses_parse() -> None:
    assert Listen.parse("0.0.0.0:8080") == Listen("0.0.0.0", 8080)
    assert Listen.parse("[::1]:8000") == Listen("::1", 8000)
