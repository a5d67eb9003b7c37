"""`rdv demo --web` as a real process: it prints the screens' address and the people's accounts, and a
teleoperator who logs in (here through the agent desk, as the screen does) is handed calls on the phone of their
account, beside the simulated agents, until Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Campaign
from config.orm import transaction
from dialer.models import AgentRecord
from rdv import agent_desk, db
from rdv.wakeup_poll import PollNotifier

pytestmark = pytest.mark.e2e
RDV = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "rdv"
# Real speed: a human answer among the sample's numbers can take a few minutes of dialling.
DEADLINE_S = 420.0


def wait_for(condition, what: str, proc: subprocess.Popen[str], out: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert proc.poll() is None, f"rdv demo --web exited before {what}:\n{out.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"{what}: not reached in time\n{out.read_text()[-3000:]}"
        time.sleep(0.2)


def demo_now(web: sessionmaker[Session]) -> datetime | None:
    """The demo's clock as its dialer last wrote it (the screens read it from the same process)."""
    with web() as session:
        return session.scalar(select(func.max(AgentRecord.updated_at)))


def test_the_web_demo_serves_its_screens_prints_the_accounts_and_hands_calls_to_a_person(tmp_path: Path) -> None:
    printed = tmp_path / "demo.out"
    env = {**os.environ, "RDV_DATA_DIR": str(tmp_path), "RDV_LANG": "fr", "COLUMNS": "160"}
    with printed.open("w") as sink:
        proc = subprocess.Popen([str(RDV), "demo", "--web", "--web-address", "127.0.0.1:0", "--agents", "2",
                                 "--out", str(tmp_path / "demo")], env=env, stdout=sink, stderr=subprocess.STDOUT,
                                text=True)  # fmt: skip
    try:
        wait_for(lambda: "http://" in printed.read_text(), "the screens' address", proc, printed)
        text = printed.read_text()
        url = re.search(r"Écrans web : (http://\S+)", text)
        assert url is not None, text
        for login in ("tele1", "tele2", "chef", "client"):
            assert re.search(rf"│ {login} +│ \S{{12,}} +│", text), f"no first password printed for {login}:\n{text}"
        assert httpx.get(f"{url.group(1)}/login", timeout=30).status_code == 200

        engine = db.make_engine(f"sqlite:///{tmp_path / 'demo' / 'rdv.sqlite3'}")
        web = db.session_factory(engine)
        notifier = PollNotifier(engine)
        wait_for(lambda: demo_now(web) is not None, "the simulated agents logged in", proc, printed)
        with web() as session:
            campaign_id = session.scalars(select(Campaign.id)).one()
        with transaction(web) as session:
            # The screen stays open for the whole test, whatever the demo's clock says (it may start days ahead
            # at the campaign's next opening).
            agent_desk.heartbeat(session, "tele1", datetime.now(UTC) + timedelta(days=30))
            login = agent_desk.send(session, notifier, "tele1", "login", campaign_id=campaign_id, now=demo_now(web))

        def result() -> agent_desk.CommandResult:
            with web() as session:
                return agent_desk.command_result(session, login)

        wait_for(lambda: result().done_at is not None, "the login applied", proc, printed)
        assert result().ok, result().result
        with web() as session:
            record = session.scalars(select(AgentRecord).where(AgentRecord.login == "tele1")).one()
        assert record.interface == "Local/tele1@agents/n" and record.display_name == "Camille Durand"

        def popped() -> bool:
            with web() as session:
                return agent_desk.current_call(session, "tele1") is not None

        wait_for(popped, "a call handed to tele1", proc, printed)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=300) == 0, printed.read_text()[-3000:]
        engine.dispose()
    finally:
        if proc.poll() is None:
            proc.kill()
