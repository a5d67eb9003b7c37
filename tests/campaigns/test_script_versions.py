"""Scripts as TOML text: a stored version written back reads to the same content; each save is a new version,
a refused text stores nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import tomllib
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from campaigns.script import InvalidScript, InvalidTomlFile
from campaigns.script_versions import save_script_text, script_toml, version_row, versions
from config.orm import transaction
from tests.campaigns.appointment_helpers import NOW, SAMPLE, seed_campaign


def test_the_sample_script_reads_back_the_same() -> None:
    data = tomllib.loads(SAMPLE.read_text(encoding="utf-8"))
    assert tomllib.loads(script_toml(data)) == data


def test_awkward_text_reads_back_the_same() -> None:
    data = {
        "campaign": {"name": 'Dit « oui » \\ "non"', "slot_minutes": 90, "ratio": 0.5, "open": True},
        "script": {"pitch": "Ligne un\nligne deux se termine par 'ça'", "closing": "a '''triple''' quote\n",
                   "tab": "a\tb", "objections": [{"objection": "Non.", "answer": "Si."}]},
        "key with space": {"empty": [], "numbers": [1, 2], "inline": [{"a": 1}, {"b": "x"}]},
        "questions": [{"key": "q1", "choices": [{"value": "a", "label": "A"}]}, {"key": "q2"}],
    }
    assert tomllib.loads(script_toml(data)) == data


def test_each_save_is_a_new_version_and_a_refused_text_stores_nothing(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        cid = seed_campaign(session).id
    good = script_toml(tomllib.loads(SAMPLE.read_text(encoding="utf-8")))
    with sessions() as session:
        with pytest.raises(InvalidTomlFile, match="web.toml, ligne 2"):
            save_script_text(session, cid, "[campaign]\nname = \n", "sup", NOW)
        with pytest.raises(InvalidScript, match=r"questions\[0\]\.type"):
            save_script_text(session, cid, good.replace('type = "yes_no"', 'type = "oui-non"', 1), "sup", NOW)
        session.rollback()
    with transaction(sessions) as session:
        assert [v.version for v in versions(session, cid)] == [1]
        row = save_script_text(session, cid, good, "sup", NOW + timedelta(hours=1))
        assert (row.version, row.source_name, row.loaded_by) == (2, "web.toml", "sup")
    with sessions() as session:
        assert [v.version for v in versions(session, cid)] == [2, 1]
        first = version_row(session, cid, 1)
        assert first is not None and first.loaded_by == "superviseur"
        assert version_row(session, cid, 3) is None
