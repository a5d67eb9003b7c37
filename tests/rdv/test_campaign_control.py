"""Start, pause, stop and pacing changes from the console reach a running engine, with the CLI's rules."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from campaigns import services
from campaigns.errors import InvalidSetting, UnknownSetting
from campaigns.models import Campaign
from config.orm import transaction
from dialer.pacing import PacingMode
from rdv import campaign_control as control
from rdv.cli import app as cli
from rdv.runtime import Staffing
from tests.dialer.engine_harness import Dialer, running_dialer
from tests.rdv.test_wakeup import notifier_on, ready


def engine_of(harness: Dialer) -> Engine:
    bind = harness.sessions.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


async def _dials_during(harness: Dialer, clock_s: float) -> int:
    engine = harness.engines[0]
    before = engine.counters["dialled"]
    deadline = harness.clock.now().timestamp() + clock_s
    await harness.until(lambda: harness.clock.now().timestamp() >= deadline, clock_s=clock_s + 5)
    return engine.counters["dialled"] - before


async def test_pause_resume_stop_and_pacing_reach_the_running_engine_at_once(database_url: str) -> None:
    async with running_dialer(database_url, 400) as harness:
        engine = await harness.start_engine(agents=3)
        cid = harness.campaign_id
        staffing = Staffing(engine, {cid: []})
        staffing.set_open(cid, True)
        watcher = control.ControlWatcher(engine.views, staffing, harness.sessions, harness.clock)
        await harness.until(lambda: engine.counters["dialled"] >= 3, clock_s=120)

        with transaction(harness.sessions) as session:
            control.pause(session, cid, None)
        await watcher.refresh()
        assert cid in engine.held and staffing.halted == {cid: "paused"}
        await harness.until(lambda: not engine.calls, clock_s=900)
        assert await _dials_during(harness, 60) == 0
        assert all(a.logged_in for a in engine.agents.values()), "a pause keeps the agents"

        with transaction(harness.sessions) as session:
            control.change_setting(session, cid, "pacing_mode", "progressive", None)
            control.change_setting(session, cid, "abandonment_target", "2 %", None)
            services.set_setting(session, session.get_one(Campaign, cid).name, "max_lines_per_agent", "10")
            control.start(session, cid, harness.clock.now(), "Europe/Paris", None)
        assert engine.views[cid].policy.max_lines_per_agent == 4.0, "the default cap until the orders are read"
        await watcher.refresh()
        assert engine.views[cid].policy.mode is PacingMode.PROGRESSIVE
        assert engine.views[cid].policy.abandon_target == pytest.approx(0.02)
        assert engine.views[cid].policy.max_lines_per_agent == 10.0
        assert cid not in engine.held and await _dials_during(harness, 60) > 0

        with transaction(harness.sessions) as session:
            control.stop(session, cid, None)
        await watcher.refresh()
        await harness.until(lambda: not engine.calls, clock_s=900)
        await staffing.apply(harness.clock.now())
        assert not any(a.logged_in for a in engine.agents.values()), "a stopped campaign's agents leave"
        assert await _dials_during(harness, 30) == 0
        with harness.sessions() as session:
            assert session.get_one(Campaign, cid).status == "stopped"


def test_a_bad_value_is_refused_in_french_and_nothing_is_stored(sessions: object) -> None:
    from sqlalchemy.orm import Session, sessionmaker

    from tests.campaigns.factories import campaign

    assert isinstance(sessions, sessionmaker)
    factory: sessionmaker[Session] = sessions
    with transaction(factory) as session:
        cid = campaign(session, settings={"abandonment_target": "2%"}).id
    with pytest.raises(InvalidSetting, match="abandonment_target") as refused, transaction(factory) as session:
        control.change_setting(session, cid, "abandonment_target", "150 %", None)
    assert "150 %" in str(refused.value)
    with pytest.raises(UnknownSetting), transaction(factory) as session:
        control.change_setting(session, cid, "max_attempts", "3", None)
    with factory() as session:
        assert session.get_one(Campaign, cid).settings == {"abandonment_target": "2%"}


async def test_a_change_made_with_the_cli_elsewhere_wakes_the_running_dialer(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the notification the dialer would read the campaign again only in an hour: the test would time out.
    monkeypatch.setattr(control, "REFRESH_EVERY_S", 3600.0)
    runner = CliRunner(env={"RDV_DATABASE_URL": database_url, "RDV_DATA_DIR": str(tmp_path), "RDV_LANG": "fr"})

    async def rdv(*args: str) -> str:
        result = await asyncio.to_thread(runner.invoke, cli, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    async with running_dialer(database_url, 200) as harness:
        engine = await harness.start_engine(agents=2)
        cid = harness.campaign_id
        staffing = Staffing(engine, {cid: []})
        staffing.set_open(cid, True)
        notifier = notifier_on(engine_of(harness))
        watcher = control.ControlWatcher(engine.views, staffing, harness.sessions, harness.clock)
        task = asyncio.create_task(watcher.run(notifier))
        try:
            await harness.until(lambda: watcher.applied >= 1, clock_s=3000)
            await ready(notifier)
            assert "mise en pause" in await rdv("campaign", "pause", "Toitures")
            await harness.until(lambda: cid in engine.held, clock_s=3000)
            await rdv("campaign", "set", "Toitures", "pacing_mode", "progressive")
            await harness.until(lambda: engine.views[cid].policy.mode is PacingMode.PROGRESSIVE, clock_s=3000)
            await rdv("campaign", "start", "Toitures", "--at", "2026-11-23T15:00+01:00")
            await harness.until(lambda: cid not in engine.held, clock_s=3000)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await notifier.close()
