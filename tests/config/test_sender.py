"""The sender of the e-mails to clients is never a made-up address on a real SMTP relay."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import OUTBOX_SENDER, SettingsError, load_settings


def test_the_configured_sender_wins(tmp_path: Path) -> None:
    env = {"RDV_SMTP_HOST": "smtp.example.org", "RDV_SMTP_USERNAME": "login@relay.example.org",
           "RDV_MAIL_FROM": "Centre <rdv@centre.example>"}
    assert load_settings(env, tmp_path).mail_from == "Centre <rdv@centre.example>"


def test_the_smtp_login_is_the_sender_when_it_is_an_address(tmp_path: Path) -> None:
    env = {"RDV_SMTP_HOST": "smtp.example.org", "RDV_SMTP_USERNAME": "rdv@centre.example"}
    assert load_settings(env, tmp_path).mail_from == "rdv@centre.example"


def test_smtp_without_a_sender_is_refused_in_one_french_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="indiquez l'expéditeur des e-mails aux clients") as caught:
        load_settings({"RDV_SMTP_HOST": "smtp.example.org", "RDV_SMTP_USERNAME": "centre42"}, tmp_path)
    assert "\n" not in str(caught.value)


def test_the_outbox_folder_alone_gets_an_address_that_reaches_nobody(tmp_path: Path) -> None:
    assert load_settings({}, tmp_path).mail_from == OUTBOX_SENDER == "rdv@example.invalid"
