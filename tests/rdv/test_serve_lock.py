"""`rdv.service.serve()` takes its dialer id's lock itself: any caller, not only `rdv run`, is refused a second
service under one id (without the lock, the leader would find the dialer dead and free its calls' leads)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rdv.bootstrap import bootstrap
from rdv.leader import AnotherServiceRuns, DialerIdInUse
from rdv.runtime import Runtime, RuntimeOptions
from rdv.service import serve
from tests.rdv.service_harness import DEADLINE_S, prepare

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


async def test_two_serve_with_one_dialer_id_on_one_database_cannot_both_run(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign_id = prepare(database_url, lead_count=5)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path))
    first_app, second_app = bootstrap(), bootstrap()  # two engines, as two processes would have
    options = RuntimeOptions(dialer_id="d1", simulate=True)
    stop, running = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(serve(first_app, [campaign_id], options, 0.0, stop, lambda _r: running.set()))
    second_started: list[Runtime] = []
    try:
        async with asyncio.timeout(DEADLINE_S):
            await asyncio.wait([first, asyncio.create_task(running.wait())], return_when=asyncio.FIRST_COMPLETED)
        assert running.is_set(), first.exception() if first.done() else "the first serve() did not start"
        refused = DialerIdInUse if database_url.startswith("postgresql") else AnotherServiceRuns
        second_stop = asyncio.Event()  # set once started: a serve() that ran after all returns, and fails the test
        with pytest.raises(refused):
            await serve(second_app, [campaign_id], options, 0.0, second_stop,
                        lambda runtime: (second_started.append(runtime), second_stop.set()))  # fmt: skip
        assert not second_started, "the second serve() started a runtime"
    finally:
        stop.set()
        await first

    # Given back at stop: the same dialer id starts again at once.
    again = asyncio.Event()
    await serve(second_app, [campaign_id], options, 0.0, again, lambda runtime: (second_started.append(runtime),
                                                                                 again.set()))  # fmt: skip
    assert len(second_started) == 1
    first_app.close()
    second_app.close()
