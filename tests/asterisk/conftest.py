"""Fixtures of the real-Asterisk tests: skipped, with the reason shown, when RDV_TEST_ASTERISK is unset."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.asterisk.harness import Asterisk, asterisk_home
from tests.conftest import new_database_url


@pytest.fixture(scope="session")
def asterisk_install() -> Path:
    home = asterisk_home()
    if home is None:
        pytest.skip("RDV_TEST_ASTERISK is not set: the real-Asterisk tests need an Asterisk install "
                    "(CI sets ../shared/asterisk)")  # fmt: skip
    return home


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return new_database_url(request, "sqlite", tmp_path)


@pytest.fixture
def pbx_root() -> Iterator[Path]:
    """A short folder for one Asterisk instance (its console socket path must fit in a unix address);
    RDV_TEST_ASTERISK_KEEP=1 keeps it (logs, queue_log, cdr-csv) to look at after a failure."""
    root = Path(tempfile.mkdtemp(prefix="rdv-ast-", dir="/tmp"))
    yield root
    if os.environ.get("RDV_TEST_ASTERISK_KEEP"):
        print(f"kept {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def asterisk(asterisk_install: Path, pbx_root: Path) -> Iterator[Asterisk]:
    """An instance, not yet configured or started; stopped at the end whatever happened."""
    instance = Asterisk(asterisk_install, pbx_root)
    try:
        yield instance
    finally:
        instance.stop()
