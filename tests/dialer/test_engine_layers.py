"""The dialer stands below the composition root: no module of `dialer/` imports `rdv`, and none masks badly."""

from __future__ import annotations

import ast
from pathlib import Path

from dialer.redact import redact_phones

DIALER = Path(__file__).resolve().parents[2] / "dialer"


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_dialer_module_imports_the_composition_root() -> None:
    upward = {str(p.relative_to(DIALER)): sorted(n for n in _imported(p) if n == "rdv" or n.startswith("rdv."))
              for p in DIALER.rglob("*.py")}  # fmt: skip
    assert {path: names for path, names in upward.items() if names} == {}


def test_phone_numbers_are_masked_in_every_form_and_addresses_and_call_ids_are_not() -> None:
    line = ("Hangup of Local/+33612345678@rdv-outbound-00000001;1: the PBX said 'No such channel'; "
            "national 06 12 34 56 78, 0612345678, 33612345678; PBX at 127.0.0.1:5038, call rdv-87310e53")
    masked = redact_phones(line)
    for form in ("+33612345678", "33612345678", "0612345678", "06 12 34 56 78"):
        assert form not in masked, masked
    assert "127.0.0.1:5038" in masked and "rdv-87310e53" in masked and "00000001;1" in masked
    assert masked.count("******78") == 4
