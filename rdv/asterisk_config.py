"""`rdv asterisk config`: the include files for the campaigns in the database, written into a folder.

The text comes from `dialer.asterisk_config` (pure); this module reads the campaigns and the phones file,
checks the drop recording, and writes every file whole (a reloading Asterisk never reads half a file).
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import Campaign
from config.i18n import _
from config.servers import ServerSettings
from dialer.asterisk_config import DEFAULT_TRUNK, IncludeInputs, PhoneBinding, include_files, sim_phones
from dialer.campaign_view import queue_name
from rdv.staffing import agent_logins

DROP_MESSAGE_NAME = "rdv-dropped-call"
SILENCE_NAME = "rdv-silence"
# Asterisk plays these without transcoding: what every trunk and softphone codec starts from.
TELEPHONE_RATE = 8000


class InvalidRecording(ValueError):
    """The drop message is not a WAV file Asterisk plays as it is (8 kHz, mono, 16-bit)."""


def shipped_drop_message() -> Path:
    """The French information message shipped with rdv (see config/asterisk/README.md)."""
    return Path(str(resources.files("config").joinpath("asterisk", "sounds", f"{DROP_MESSAGE_NAME}.wav")))


@dataclass(frozen=True)
class ConfigRequest:
    """What the user asked: where, which trunk, which phones, simulated agents for which campaigns."""

    out: Path
    sounds: Path | None = None
    trunk: str = DEFAULT_TRUNK
    phones_file: Path | None = None  # `login;phone` rows, in place of the accounts' phones for those logins
    drop_message: Path | None = None
    sim_agents: int = 0
    sim_campaigns: tuple[str, ...] = ()
    # One server's files (`--server`): its campaigns' queues, the phones on it (and, `unassigned`, those on no
    # server in particular), simulated agents named as its engine names them.
    server: ServerSettings | None = None
    unassigned: bool = True


@dataclass(frozen=True)
class Written:
    """What was written, for the summary the command prints."""

    files: tuple[Path, ...]
    queues: tuple[str, ...]
    phones: int
    drop_message: Path


def check_recording(path: Path) -> None:
    """Refuse a drop message Asterisk could not play as it is, naming the file and what is wrong."""
    try:
        with wave.open(str(path), "rb") as recording:
            shape = (recording.getframerate(), recording.getnchannels(), recording.getsampwidth())
            frames = recording.getnframes()
    except (OSError, EOFError, wave.Error) as exc:
        raise InvalidRecording(_("{file}: not a readable WAV file ({reason})").format(file=path, reason=exc)) from None
    if shape != (TELEPHONE_RATE, 1, 2):
        raise InvalidRecording(_("{file}: {rate} Hz, {channels} channel(s), {bits} bits; Asterisk needs "
                                 "8000 Hz, mono, 16 bits (sox IN -r 8000 -c 1 -b 16 OUT.wav)").format(
            file=path, rate=shape[0], channels=shape[1], bits=shape[2] * 8))
    if frames == 0:
        raise InvalidRecording(_("{file}: the recording is empty").format(file=path))


def read_phones(path: Path) -> tuple[PhoneBinding, ...]:
    """`login;phone` rows (a header row `login;phone` is allowed); a bad row names the file and the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(_("{file}: cannot be read ({reason})").format(file=path, reason=exc)) from None
    bindings: list[PhoneBinding] = []
    for number, row in enumerate(csv.reader(text.splitlines(), delimiter=";"), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or (number == 1 and [c.lower() for c in cells] == ["login", "phone"]):
            continue
        if len(cells) != 2 or not all(cells):
            raise ValueError(_("{file}, line {line}: expected login;phone (e.g. alice;PJSIP/poste-12)").format(
                file=path, line=number))
        try:
            bindings.append(PhoneBinding(cells[0], cells[1]))
        except ValueError as exc:
            raise ValueError(_("{file}, line {line}: {reason}").format(file=path, line=number, reason=exc)) from None
    return tuple(bindings)


def users_phones(session: Session, server: str | None = None, unassigned: bool = True) -> tuple[PhoneBinding, ...]:
    """The phones of the active accounts that have one (`rdv user add … --phone`), in login order; with
    `server`, those on that server (and on none in particular if `unassigned`)."""
    from rdv.web.models import User

    query = select(User.login, User.phone).where(User.active.is_(True), User.phone != "")
    if server is not None:
        query = query.where(User.phone_server.in_((server, "") if unassigned else (server,)))
    rows = session.execute(query.order_by(User.login))
    return tuple(PhoneBinding(login, phone) for login, phone in rows)


def merged_phones(accounts: tuple[PhoneBinding, ...], listed: tuple[PhoneBinding, ...]) -> tuple[PhoneBinding, ...]:
    """The accounts' phones, with the phones file's rows in place of theirs for the logins it names."""
    named = {b.login for b in listed}
    return tuple(b for b in accounts if b.login not in named) + listed


def campaigns_for_queues(session: Session) -> tuple[tuple[int, str], ...]:
    """Every campaign gets its queue, so that one exists before the campaign is ever started."""
    return tuple((c.id, c.name) for c in session.scalars(select(Campaign).order_by(Campaign.id)))


def sim_agent_logins(session: Session, names: tuple[str, ...], per_campaign: int,
                     server: ServerSettings | None = None) -> list[str]:  # fmt: skip
    """The logins `rdv run --sim-agents N` gives the same campaigns (the running ones when none is named)."""
    from campaigns import store

    if not per_campaign:
        return []
    if names:
        ids = [store.get_campaign(session, name).id for name in names]
    else:
        ids = list(session.scalars(select(Campaign.id).where(Campaign.status == "running").order_by(Campaign.id)))
    if not ids:
        raise LookupError(_("No running campaign to simulate agents for: name one with --campaign"))
    if server is not None:  # as its engine logs them in: the server's campaigns, logins prefixed by its name
        served = dict(campaigns_for_queues(session))
        ids = [cid for cid in ids if server.serves(cid, served.get(cid, ""))]
        return [login for logins in agent_logins(ids, per_campaign, server.name).values() for login in logins]
    return [login for logins in agent_logins(ids, per_campaign).values() for login in logins]


def write_config(session: Session, request: ConfigRequest) -> Written:
    """Write the include files, the drop message and the silence into the request's folders."""
    out = request.out.resolve()
    sounds = (request.sounds or out / "rdv-sounds").resolve()
    source = request.drop_message or shipped_drop_message()
    check_recording(source)
    listed = read_phones(request.phones_file) if request.phones_file else ()
    server = request.server
    accounts = users_phones(session, server.name if server else None, request.unassigned)
    phones = merged_phones(accounts, listed) + sim_phones(
        sim_agent_logins(session, request.sim_campaigns, request.sim_agents, server))
    campaigns = tuple(c for c in campaigns_for_queues(session) if server is None or server.serves(*c))
    inputs = IncludeInputs(campaigns, phones, str(sounds / DROP_MESSAGE_NAME), str(sounds / SILENCE_NAME),
                           request.trunk)  # fmt: skip
    texts = include_files(inputs)
    out.mkdir(parents=True, exist_ok=True)
    sounds.mkdir(parents=True, exist_ok=True)
    _replace(sounds / f"{DROP_MESSAGE_NAME}.wav", lambda tmp: shutil.copyfile(source, tmp))
    _replace(sounds / f"{SILENCE_NAME}.wav", _write_silence)
    written = []
    for name, text in texts.items():
        _replace(out / name, _text_writer(text))
        written.append(out / name)
    return Written(tuple(written), tuple(queue_name(cid) for cid, _name in campaigns), len(phones), source)


def _text_writer(text: str) -> Callable[[Path], object]:
    return lambda path: path.write_text(text, encoding="utf-8")


def _write_silence(path: Path) -> None:
    """One second of silence at the telephone rate: the queue's music class plays it while a caller waits."""
    with wave.open(str(path), "wb") as silence:
        silence.setnchannels(1)
        silence.setsampwidth(2)
        silence.setframerate(TELEPHONE_RATE)
        silence.writeframes(b"\0\0" * TELEPHONE_RATE)


def _replace(target: Path, fill: Callable[[Path], object]) -> None:
    """Fill a temporary file beside `target`, then rename it over `target`."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        fill(tmp)
        tmp.chmod(0o644)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
