"""A supervisor signed in to a web app with one campaign and a 1 MB upload limit, for the lead-file tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from campaigns import store
from config.settings import load_settings
from rdv.bootstrap import App
from rdv.web import leads_jobs
from rdv.web.app import create_app
from tests.web.conftest import add_user, client_login

HEADER = "Civilité;Nom;Prénom;Téléphone;Code postal;Ville\n"


@dataclass
class Desk:
    """The signed-in supervisor's client, CSRF token, campaign and the application under the web."""

    client: TestClient
    token: str
    campaign_id: int
    app: App

    def upload(self, data: bytes, name: str = "fichier.csv") -> httpx.Response:
        """Send a file as the page's script does: the raw body, the token in a header."""
        return self.client.post(f"/admin/leads/{self.campaign_id}/upload", params={"name": name}, content=data,
                                headers={"X-CSRF-Token": self.token, "Content-Type": "application/octet-stream"})

    def job_of(self, answer: httpx.Response) -> int:
        """The job an upload redirected to, once its import has ended."""
        assert answer.status_code == 303, answer.text[-800:]
        found = re.search(r"/admin/leads/jobs/(\d+)", answer.headers["location"])
        assert found, answer.headers["location"]
        job_id = int(found.group(1))
        assert leads_jobs.wait(job_id, 120), "the import thread did not end"
        return job_id


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Desk]:
    settings = load_settings(env={"RDV_DATA_DIR": str(tmp_path), "RDV_DATABASE_URL": database_url,
                                  "RDV_LANG": "fr", "RDV_WEB_UPLOAD_MAX_MB": "1"})  # fmt: skip
    application = App(settings=settings, migrate=False)
    with application.sessions.begin() as session:
        store.add_client(session, "Charpentes Martin", ["rdv@charpentes-martin.fr"])
        campaign_id = store.create_campaign(session, "Toitures 2026", "Charpentes Martin").id
    login, password = add_user(database_url, "supervisor")
    with TestClient(create_app(application), follow_redirects=False) as client:
        yield Desk(client, client_login(client, login, password), campaign_id, application)
    application.close()


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(row + "\n" for row in rows)).encode("utf-8")
