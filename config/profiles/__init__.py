"""Regulatory calling profiles, one TOML file each (`fr-consumer.toml` …), chosen per campaign."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


def profile_names() -> list[str]:
    """The names of the bundled profiles, sorted."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".toml")
    )


@cache
def load_profile_data(name: str) -> dict[str, Any]:
    """The raw TOML content of a profile; `campaigns.profiles` turns it into typed rules."""
    return tomllib.loads(resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8"))
