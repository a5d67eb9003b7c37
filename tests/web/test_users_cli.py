"""`rdv user …`: accounts from the command line, in French, with one clear line for bad input."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from campaigns import store
from dialer.desk_models import AgentCommand
from dialer.models import AgentRecord
from rdv.cli import app
from rdv.cli.common import console
from rdv.web import auth
from rdv.web.models import User, campaigns_of, user_by_login


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        sessions: sessionmaker[Session]) -> CliRunner:  # fmt: skip
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    with sessions.begin() as session:
        store.add_client(session, "Charpentes Test", [])
        store.create_campaign(session, "Toitures", "Charpentes Test")
        store.create_campaign(session, "Combles", "Charpentes Test")
    return CliRunner()


def _ok(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return " ".join(re.sub("[\u2500-\u257f]", " ", result.output).split())


def _refused(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert result.output.strip().count("\n") == 0, result.output
    return result.output.strip()


def _password(output: str) -> str:
    found = re.search(r"affiché cette seule fois\) : (\S+)", output)
    assert found, output
    return found.group(1)


def test_add_prints_a_first_password_once_and_stores_only_its_argon2id_hash(cli: CliRunner,
                                                                           sessions: sessionmaker[Session]) -> None:
    out = _ok(cli, "user", "add", "julie.m", "--role", "teleoperator", "--phone", "PJSIP/1001", "--name",
              "Julie Martin", "--campaign", "Toitures", "--campaign", "Combles")  # fmt: skip
    assert "Utilisateur julie.m créé (téléacteur)." in out
    password = _password(out)
    with sessions() as session:
        user = user_by_login(session, "julie.m")
        assert user is not None
        assert user.password_hash.startswith("$argon2id$") and password not in user.password_hash
        assert auth.password_matches(user, password)
        assert (user.role, user.phone, user.display_name) == ("teleoperator", "PJSIP/1001", "Julie Martin")
        assert len(campaigns_of(session, user.id)) == 2
    listed = _ok(cli, "user", "list")
    assert "julie.m Julie Martin téléacteur PJSIP/1001 Combles, Toitures actif" in listed
    assert password not in listed


def test_assign_passwd_disable_enable_and_logout_all(cli: CliRunner, sessions: sessionmaker[Session]) -> None:
    first = _password(_ok(cli, "user", "add", "marc", "--role", "teleoperator"))
    assert "Campagnes de marc : Toitures" in _ok(cli, "user", "assign", "marc", "--campaign", "Toitures")
    assert "Campagnes de marc : aucune" in _ok(cli, "user", "assign", "marc", "--campaign", "toitures", "--remove")
    with sessions.begin() as session:
        user = user_by_login(session, "marc")
        assert user is not None
        auth.open_session(session, user, "127.0.0.1", datetime.now(UTC))
        auth.open_session(session, user, "127.0.0.1", datetime.now(UTC))
    assert "2 sessions de marc fermées." in _ok(cli, "user", "logout-all", "marc")
    second = _password(_ok(cli, "user", "passwd", "marc"))
    assert second != first
    disabled = _ok(cli, "user", "disable", "marc")
    assert "Utilisateur marc désactivé." in disabled and "numéroteur" not in disabled  # never logged in to it
    assert "désactivé" in _ok(cli, "user", "list")
    assert "Utilisateur marc réactivé." in _ok(cli, "user", "enable", "marc")
    with sessions() as session:
        user = session.scalars(select(User).where(User.login == "marc")).one()
        assert user.active and auth.password_matches(user, second) and not auth.password_matches(user, first)


def test_disable_logs_a_working_teleoperator_out_of_the_dialer(cli: CliRunner, sessions: sessionmaker[Session]) -> None:
    _password(_ok(cli, "user", "add", "lea", "--role", "teleoperator", "--campaign", "Toitures"))
    with sessions.begin() as session:
        campaign_id = store.get_campaign(session, "Toitures").id
        session.add(AgentRecord(login="lea", campaign_id=campaign_id, state="paused", pause_reason="break",
                                since=datetime.now(UTC)))  # fmt: skip
    said = _ok(cli, "user", "disable", "lea")
    assert "lea est déconnecté du numéroteur : aucun nouvel appel ne lui parviendra." in said
    with sessions() as session:
        sent = session.execute(select(AgentCommand.login, AgentCommand.kind, AgentCommand.campaign_id)).all()
    assert sent == [("lea", "logout", campaign_id)]


@pytest.mark.parametrize(("args", "message"), [
    (["add", "Julie Martin", "--role", "teleoperator"], "Identifiant invalide Julie Martin"),
    (["add", "julie", "--role", "agent"], "Rôle inconnu agent : choisissez supervisor, teleoperator ou client"),
    (["add", "julie", "--role", "teleoperator", "--phone", "1001"], "Poste invalide 1001"),
    (["add", "acme", "--role", "client"], "Un compte client doit nommer son entreprise : ajoutez --client NOM"),
    (["add", "julie", "--role", "supervisor", "--client", "Charpentes Test"], "--client ne sert qu'aux comptes"),
    (["add", "acme", "--role", "client", "--client", "Inconnue"], "Client inconnu : Inconnue"),
    (["add", "julie", "--role", "teleoperator", "--campaign", "Nulle part"], "Campagne inconnue : Nulle part"),
    (["assign", "personne", "--campaign", "Toitures"], "Utilisateur inconnu : personne"),
    (["passwd", "personne"], "Utilisateur inconnu : personne"),
])  # fmt: skip
def test_bad_input_is_one_french_line_and_stores_nothing(cli: CliRunner, sessions: sessionmaker[Session],
                                                         args: list[str], message: str) -> None:
    assert message in _refused(cli, "user", *args)
    with sessions() as session:
        assert session.scalars(select(User)).all() == []


def test_a_login_is_taken_once(cli: CliRunner) -> None:
    _ok(cli, "user", "add", "julie", "--role", "supervisor")
    assert "L'identifiant julie est déjà pris" in _refused(cli, "user", "add", "Julie", "--role", "teleoperator")


def test_the_readme_account_examples_run_as_written(database_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    lines = [line.strip() for line in readme.splitlines()]
    setup = [line for line in lines if line.startswith(("rdv client add ", "rdv campaign create "))]
    accounts_ = [line for line in lines if line.startswith("rdv user add ")]
    assert len(accounts_) >= 3, "the README lost its account examples"
    cli = CliRunner()
    for line in setup + accounts_:
        done = cli.invoke(app, shlex.split(line, comments=True)[1:])
        assert done.exit_code == 0, (line, done.output)
    assert "julie" in _ok(cli, "user", "list")


def test_a_teleoperators_phone_server_is_one_of_the_configured_servers(
        cli: CliRunner, tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    settings = tmp_path / "rdv.toml"
    settings.write_text('[asterisk.servers.pbx1]\nhost = "10.0.0.21"\n\n[asterisk.servers.pbx2]\nhost = "10.0.0.22"\n')
    _ok(cli, "user", "add", "julie", "--role", "teleoperator", "--phone-server", "pbx2")
    _ok(cli, "user", "add", "marc", "--role", "teleoperator")
    assert "Téléphone de marc : sur le serveur pbx1" in _ok(cli, "user", "phone-server", "marc", "pbx1")
    refusal = _refused(cli, "user", "phone-server", "marc", "pbx3")
    assert "Serveur Asterisk inconnu pbx3 : les réglages nomment pbx1, pbx2" in refusal
    with sessions() as session:
        servers = {u.login: u.phone_server for u in session.scalars(select(User))}
    assert servers == {"julie": "pbx2", "marc": "pbx1"}
    assert "julie" in _ok(cli, "user", "list") and "pbx2" in _ok(cli, "user", "list")
