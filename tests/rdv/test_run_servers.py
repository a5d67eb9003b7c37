"""Which servers `rdv run` drives: `--server`/RDV_DIALER_SERVERS among the configured ones, in French when not."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config.servers import ServerSettings
from config.settings import Settings
from rdv.cli import app as cli
from rdv.cli.common import UserError
from rdv.cli.run import chosen_servers
from rdv.runtime import RuntimeOptions

PBX1, PBX2 = ServerSettings("pbx1", "10.0.0.21"), ServerSettings("pbx2", "10.0.0.22")


@pytest.fixture(autouse=True)
def french(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RDV_LANG", raising=False)


def test_the_named_servers_are_driven_and_a_single_configured_one_by_default() -> None:
    two = replace(Settings(), servers=(PBX1, PBX2))
    assert chosen_servers(two, ["pbx2", "pbx1", "pbx2"], default_one=True) == (PBX2, PBX1)
    assert chosen_servers(replace(Settings(), servers=(PBX1,)), [], default_one=True) == (PBX1,)
    assert chosen_servers(two, []) == ()  # no standby named: none
    assert chosen_servers(Settings(), []) == ()  # the legacy single PBX


@pytest.mark.parametrize(
    ("servers", "names", "expected"),
    [
        ((PBX1, PBX2), ["pbx3"], "Serveur Asterisk inconnu pbx3 : les réglages nomment pbx1, pbx2"),
        ((PBX1, PBX2), [], "Dites quels serveurs Asterisk ce numéroteur pilote : rdv run --server NOM"),
        ((), ["pbx1"], "--server pbx1 : aucun serveur Asterisk n'est nommé dans les réglages"),
    ],
)
def test_a_server_that_cannot_be_chosen_is_refused_in_french(servers: tuple[ServerSettings, ...], names: list[str],
                                                             expected: str) -> None:
    with pytest.raises(UserError) as caught:
        chosen_servers(replace(Settings(), servers=servers), names, default_one=True)
    assert expected in str(caught.value)


def test_a_servers_engine_runs_under_the_servers_name_and_the_legacy_one_under_the_dialer_id() -> None:
    options = RuntimeOptions(dialer_id="d1", sim_agents=2)
    assert options.server_options(PBX1).name == "pbx1" and options.server_options(None).name == "d1"
    assert options.server_options(PBX1).server == PBX1 and options.server_options(PBX1).sim_agents == 2


def test_a_standby_whose_takeover_comes_after_the_dead_grace_is_refused_before_anything_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The leader ends a dead dialer's calls as failed after dead_grace_seconds: a standby taking the server over
    later would find nothing left to adopt, so the pair is refused at start, in French, naming both settings."""
    config = tmp_path / "rdv.toml"
    config.write_text('[asterisk.servers.pbx1]\nhost = "10.0.0.21"\n\n[asterisk.servers.pbx2]\nhost = "10.0.0.22"\n'
                      '\n[dialer]\ndead_grace_seconds = 20\n', encoding="utf-8")  # fmt: skip
    config.chmod(0o600)
    monkeypatch.setenv("RDV_CONFIG", str(config))
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    refused = CliRunner().invoke(cli, ["run", "--server", "pbx1", "--standby", "pbx2", "--no-web"])
    assert refused.exit_code != 0
    assert ("[dialer] takeover_after_seconds (30 s) doit être plus court que [dialer] dead_grace_seconds (20 s)"
            in " ".join(refused.output.split())), refused.output
    assert "rdv is running" not in refused.output and "rdv tourne" not in refused.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_server_whose_start_fails_after_connecting_closes_its_ami_connection(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A takeover (or a start) that fails once its AMI connection is open, here in the engine's recovery, must
    not leave that connection open: the standby tries again at its next round and would open one more each time."""
    import asyncio
    import time

    from config.clock import ScaledClock
    from config.settings import load_settings
    from dialer.campaign_view import queue_name
    from dialer.engine import Engine
    from dialer.simulator import PbxSimulator
    from rdv.bootstrap import bootstrap
    from rdv.server_runtime import ServerRuntime
    from tests.rdv.service_harness import MONDAY_3PM, prepare

    url = database_url
    campaign_id = prepare(url, lead_count=5)
    simulator = PbxSimulator(ScaledClock(MONDAY_3PM, 1.0), queues=[queue_name(campaign_id)])
    await simulator.start()
    try:
        server = ServerSettings("pbx1", "127.0.0.1", simulator.port)
        settings = load_settings(env={"RDV_DATA_DIR": str(tmp_path), "RDV_DATABASE_URL": url})
        app = bootstrap(replace(settings, servers=(server,)))

        async def recovery_fails(self: Engine) -> None:
            raise RuntimeError("the database went away during recovery")

        monkeypatch.setattr(Engine, "start", recovery_fails)
        part = ServerRuntime(app, [campaign_id], RuntimeOptions(dialer_id="b").server_options(server), None)
        with pytest.raises(RuntimeError, match="during recovery"):
            await part.start({campaign_id: True})
        assert simulator.logins >= 1, "the AMI connection was opened: the test proves something"
        deadline = time.monotonic() + 60
        while simulator._sessions:  # the simulator sees the connection closed
            assert time.monotonic() < deadline, "the failed start left its AMI connection open"
            await asyncio.sleep(0.05)
        app.close()
    finally:
        await simulator.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_rdv_run_whose_only_pbx_cannot_be_reached_says_so_in_french_and_exits(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.rdv.service_harness import prepare

    prepare(database_url, lead_count=5)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RDV_AMI_HOST", "127.0.0.1")
    monkeypatch.setenv("RDV_AMI_PORT", str(port := _free_port()))
    refused = CliRunner().invoke(cli, ["run", "--no-web"])
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert f"Impossible de joindre le serveur Asterisk 127.0.0.1:{port} (rien n'accepte de connexion sur ce port)" \
        in said, said
    assert "Traceback" not in refused.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_server_unreachable_at_start_leaves_the_others_dialling_and_is_driven_once_it_answers(
        database_url: str, tmp_path: Path) -> None:
    """One PBX of two down when the process starts (a reboot): the other dials at once, and the first is driven
    as soon as it answers, without a restart of the process."""
    import asyncio
    import time

    from config.clock import ScaledClock
    from config.settings import load_settings
    from dialer.campaign_view import queue_name
    from dialer.simulator import PbxSimulator
    from rdv.bootstrap import bootstrap
    from rdv.runtime import Runtime
    from rdv.takeover import retry_unreachable
    from tests.rdv.service_harness import MONDAY_3PM, prepare

    campaign_id = prepare(database_url, lead_count=20)
    clock = ScaledClock(MONDAY_3PM, 1.0)
    up = PbxSimulator(clock, queues=[queue_name(campaign_id)])
    await up.start()
    down = PbxSimulator(clock, port=_free_port(), queues=[queue_name(campaign_id)])
    servers = (ServerSettings("pbx1", "127.0.0.1", up.port), ServerSettings("pbx2", "127.0.0.1", down.port))
    settings = load_settings(env={"RDV_DATA_DIR": str(tmp_path), "RDV_DATABASE_URL": database_url})
    app = bootstrap(replace(settings, servers=servers), clock=clock)
    runtime = Runtime(app, [campaign_id], RuntimeOptions(dialer_id="d1", servers=servers, screens=False))
    stop = asyncio.Event()
    try:
        await runtime.start()
        assert [part.name for part in runtime.servers] == ["pbx1"] and runtime.unreachable == [servers[1]]
        retrying = asyncio.create_task(retry_unreachable(runtime, stop, every_s=0.1))
        await asyncio.sleep(0.5)
        assert runtime.unreachable == [servers[1]], "still down: still waiting"
        await down.start()  # the PBX is back, on its own port
        deadline = time.monotonic() + 60
        while runtime.unreachable:
            assert time.monotonic() < deadline, "the server that came back was not driven"
            await asyncio.sleep(0.05)
        assert [part.name for part in runtime.servers] == ["pbx1", "pbx2"] and down.logins == 1
        stop.set()
        await retrying
    finally:
        stop.set()
        await runtime.stop(0.0)
        await up.stop()
        await down.stop()
        app.close()
