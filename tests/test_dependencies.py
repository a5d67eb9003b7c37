"""pyproject.toml declares what the code imports, and nothing it does not (tools aside)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
OWN = {"config", "leads", "campaigns", "dialer", "reports", "billing", "rdv", "tests", "bench"}
# Declared without an import statement, each for a reason that an import scan cannot see.
NOT_IMPORTED = {
    "psycopg": "SQLAlchemy loads it for postgresql:// URLs",
    "factur-x": "billing (invoices with Factur-X) is being built on it",
    "pytest-asyncio": "a pytest plugin, loaded by pytest",
    "pytest-timeout": "a pytest plugin, loaded by pytest (the timeout in pyproject.toml)",
    "ruff": "a tool run by make lint",
    "mypy": "a tool run by make typecheck",
    "python-multipart": "FastAPI parses the web forms with it",
}


def _names(requirements: list[str]) -> set[str]:
    """Distribution names of requirement lines (`psycopg[binary]>=3.1` → psycopg)."""
    return {re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0].lower().replace("_", "-") for line in requirements}


def _imports(folders: list[str]) -> set[str]:
    """Top-level modules imported anywhere under these folders, ours and the standard library left out."""
    found: set[str] = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts and path.name != "env.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found.add(node.module.split(".")[0])
    return {name for name in found if name not in OWN and name not in sys.stdlib_module_names}


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    """Each imported module's distribution name(s), as pip knows them."""
    known = packages_distributions()
    return {module: {d.lower().replace("_", "-") for d in known.get(module, [module])} for module in modules}


RUNTIME = _names(PROJECT["dependencies"])
TEST = _names(PROJECT["optional-dependencies"]["test"])


def test_every_third_party_import_of_the_application_is_a_runtime_dependency() -> None:
    packages = ["config", "leads", "campaigns", "dialer", "reports", "billing", "rdv"]
    missing = {m: d for m, d in _distributions(_imports(packages)).items() if not d & RUNTIME}
    assert missing == {}, f"declare in [project] dependencies: {missing}"


def test_every_import_of_the_tests_and_benchmarks_is_declared() -> None:
    missing = {m: d for m, d in _distributions(_imports(["tests", "bench"])).items() if not d & (RUNTIME | TEST)}
    assert missing == {}, f"declare in [project.optional-dependencies] test: {missing}"


@pytest.mark.parametrize("group", ["runtime", "test"])
def test_every_declared_dependency_is_imported_or_has_a_reason(group: str) -> None:
    declared = RUNTIME if group == "runtime" else TEST
    folders = ["config", "leads", "campaigns", "dialer", "reports", "billing", "rdv"]
    if group == "test":
        folders += ["tests", "bench"]
    used = set().union(*_distributions(_imports(folders)).values())
    unused = sorted(declared - used - set(NOT_IMPORTED))
    assert unused == [], f"declared but never imported (remove them, or say why in NOT_IMPORTED): {unused}"
