"""`rdv asterisk config --out DIR`: the include files for the campaigns in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaigns import store
from campaigns.services import start_campaign
from rdv import db
from rdv.cli import app
from rdv.cli.common import console
from tests.campaigns.factories import MONDAY_3PM, leads


@pytest.fixture
def rdv(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The command line on a database with two campaigns, the second one running."""
    monkeypatch.setattr(console, "width", 300)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    engine = db.make_engine(database_url)
    with db.session_factory(engine).begin() as session:
        store.add_client(session, "Charpentes Test", [])
        store.create_campaign(session, "Toitures", "Charpentes Test", "fr-business")
        running = store.create_campaign(session, "Fenêtres", "Charpentes Test", "fr-business")
        leads(session, running.id, 1)
        start_campaign(session, "Fenêtres", MONDAY_3PM)
    engine.dispose()
    return CliRunner()


def _wav(path: Path, rate: int = 8000, channels: int = 1, frames: int = 800) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * channels * frames)
    return path


def test_every_campaign_gets_its_queue_and_the_shipped_message_is_copied(rdv: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "etc"
    result = rdv.invoke(app, ["asterisk", "config", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 files d'attente (rdv-1, rdv-2)" in result.output
    assert "Rechargez Asterisk : asterisk -rx 'module reload app_queue.so'" in result.output
    queues = (out / "rdv-queues.conf").read_text()
    assert "[rdv-1](rdv-campaign)" in queues and "[rdv-2](rdv-campaign)" in queues
    sounds = out / "rdv-sounds"
    assert f"DROPPED_MESSAGE = {sounds / 'rdv-dropped-call'}\n" in (out / "rdv-globals.conf").read_text()
    assert "TRUNK_PREFIX = PJSIP/\nTRUNK_SUFFIX = @trunk\n" in (out / "rdv-globals.conf").read_text()
    shipped = Path(__file__).resolve().parents[2] / "config" / "asterisk" / "sounds" / "rdv-dropped-call.wav"
    assert (sounds / "rdv-dropped-call.wav").read_bytes() == shipped.read_bytes()
    with wave.open(str(sounds / "rdv-silence.wav")) as silence:
        assert (silence.getframerate(), silence.getnchannels(), silence.getnframes()) == (8000, 1, 8000)
    assert f"entry = {sounds / 'rdv-silence'}\n" in (out / "rdv-musiconhold.conf").read_text()
    assert sorted(p.name for p in out.iterdir()) == ["rdv-extensions.conf", "rdv-globals.conf",
                                                     "rdv-musiconhold.conf", "rdv-queues.conf", "rdv-sounds"]


def test_the_accounts_phones_are_bound_and_the_phones_file_overrides_them(rdv: CliRunner, database_url: str,
                                                                        tmp_path: Path) -> None:
    from rdv.web import accounts

    engine = db.make_engine(database_url)
    with db.session_factory(engine).begin() as session:
        accounts.add_user(session, "camille", "teleoperator", MONDAY_3PM, phone="PJSIP/1001")
        accounts.add_user(session, "yanis", "teleoperator", MONDAY_3PM, phone="PJSIP/1002")
        accounts.add_user(session, "nophone", "teleoperator", MONDAY_3PM)
    engine.dispose()
    phones = tmp_path / "phones.csv"
    phones.write_text("yanis;PJSIP/poste-9\n", encoding="utf-8")
    out = tmp_path / "etc"
    result = rdv.invoke(app, ["asterisk", "config", "--out", str(out), "--phones", str(phones)])
    assert result.exit_code == 0, result.output
    extensions = (out / "rdv-extensions.conf").read_text()
    assert "exten => camille,1,Dial(PJSIP/1001,,b(rdv-auto-answer^s^1))" in extensions
    assert "exten => yanis,1,Dial(PJSIP/poste-9,,b(rdv-auto-answer^s^1))" in extensions
    assert "PJSIP/1002" not in extensions and "nophone" not in extensions


def test_phones_file_and_simulated_agents_bind_logins_to_phones(rdv: CliRunner, tmp_path: Path) -> None:
    phones = tmp_path / "phones.csv"
    phones.write_text("login;phone\nalice;PJSIP/poste-12\n\nbruno ; PJSIP/poste-13\n", encoding="utf-8")
    out = tmp_path / "etc"
    result = rdv.invoke(app, ["asterisk", "config", "--out", str(out), "--phones", str(phones), "--sim-agents", "2",
                              "--trunk", "PJSIP/{number}@operateur"])
    assert result.exit_code == 0, result.output
    extensions = (out / "rdv-extensions.conf").read_text()
    # One running campaign: the logins `rdv run --sim-agents 2` gives it.
    for line in ("exten => alice,1,Dial(PJSIP/poste-12,,b(rdv-auto-answer^s^1))",
                 "exten => bruno,1,Dial(PJSIP/poste-13,,b(rdv-auto-answer^s^1))",
                 "exten => agent1,1,Dial(Local/agent1@rdv-sim-phones)",
                 "exten => agent2,1,Dial(Local/agent2@rdv-sim-phones)"):
        assert line in extensions
    assert "TRUNK_SUFFIX = @operateur" in (out / "rdv-globals.conf").read_text()


@pytest.mark.parametrize(("content", "expected"), [
    ("login;phone\nalice;poste 12\n", "phones.csv, ligne 2 : Téléphone de l'agent alice : 'poste 12' n'est pas"),
    ("alice\n", "phones.csv, ligne 1 : attendu identifiant;téléphone"),
    ("alice;PJSIP/a\nalice;PJSIP/b\n", "L'agent alice est associé à deux téléphones"),
    ("agent1-2;PJSIP/a\nagent12;PJSIP/b\n", "ne diffèrent que par des tirets"),
])
def test_a_bad_phones_file_is_one_french_line_and_nothing_is_written(rdv: CliRunner, tmp_path: Path, content: str,
                                                                     expected: str) -> None:
    out = tmp_path / "etc"
    out.mkdir()
    (out / "rdv-queues.conf").write_text("; kept\n")
    phones = tmp_path / "phones.csv"
    phones.write_text(content, encoding="utf-8")
    result = rdv.invoke(app, ["asterisk", "config", "--out", str(out), "--phones", str(phones)])
    assert result.exit_code == 2
    assert expected in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert sorted(p.name for p in out.iterdir()) == ["rdv-queues.conf"]
    assert (out / "rdv-queues.conf").read_text() == "; kept\n"


def test_a_drop_message_asterisk_cannot_play_as_it_is_is_refused(rdv: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "etc"
    stereo = _wav(tmp_path / "message.wav", rate=44100, channels=2)
    result = rdv.invoke(app, ["asterisk", "config", "--out", str(out), "--drop-message", str(stereo)])
    assert result.exit_code == 2
    assert "message.wav : 44100 Hz, 2 canal(aux), 16 bits ; Asterisk demande 8000 Hz, mono, 16 bits" in result.output
    assert not out.exists()
    own = _wav(tmp_path / "own.wav")
    result = rdv.invoke(app, ["asterisk", "config", "--out", str(out), "--drop-message", str(own)])
    assert result.exit_code == 0, result.output
    assert (out / "rdv-sounds" / "rdv-dropped-call.wav").read_bytes() == own.read_bytes()


def test_a_trunk_without_the_number_place_is_refused(rdv: CliRunner, tmp_path: Path) -> None:
    result = rdv.invoke(app, ["asterisk", "config", "--out", str(tmp_path / "etc"), "--trunk", "PJSIP/trunk"])
    assert result.exit_code == 2
    assert "Trunk 'PJSIP/trunk' : écrivez une chaîne de numérotation avec {number}" in result.output


def test_one_servers_files_hold_its_campaigns_queues_and_the_phones_on_it(
        rdv: CliRunner, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rdv.web import accounts

    engine = db.make_engine(database_url)
    with db.session_factory(engine).begin() as session:
        accounts.add_user(session, "camille", "teleoperator", MONDAY_3PM, phone="PJSIP/1001", phone_server="pbx1")
        accounts.add_user(session, "yanis", "teleoperator", MONDAY_3PM, phone="PJSIP/1002", phone_server="pbx2")
    engine.dispose()
    settings = tmp_path / "rdv.toml"
    settings.write_text('[asterisk.servers.pbx1]\nhost = "10.0.0.21"\ncampaigns = ["Fenêtres"]\n\n'
                        '[asterisk.servers.pbx2]\nhost = "10.0.0.22"\n', encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("RDV_CONFIG", str(settings))
    out = tmp_path / "pbx1"
    result = rdv.invoke(app, ["asterisk", "config", "--out", str(out), "--server", "pbx1", "--sim-agents", "2"])
    assert result.exit_code == 0, result.output
    queues = (out / "rdv-queues.conf").read_text()
    assert "[rdv-2](rdv-campaign)" in queues and "[rdv-1]" not in queues
    extensions = (out / "rdv-extensions.conf").read_text()
    assert "exten => camille,1,Dial(PJSIP/1001," in extensions and "PJSIP/1002" not in extensions
    assert "exten => pbx1-agent1," in extensions and "exten => agent1," not in extensions
    refused = rdv.invoke(app, ["asterisk", "config", "--out", str(out), "--server", "pbx9"])
    assert refused.exit_code == 2 and "Serveur Asterisk inconnu pbx9" in refused.output
