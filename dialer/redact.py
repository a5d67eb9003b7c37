"""Phone numbers out of log lines: what the PBX says about a channel names the number it dials."""

from __future__ import annotations

import re

# A run of 6 or more digits, with an optional leading + and inner spaces, dots or dashes (E.164 or national form).
_PHONE = re.compile(r"\+?\d(?:[ .\-]?\d){5,}")


def redact_phones(text: str) -> str:
    """`text` with every phone-like number replaced by its last two digits behind stars."""
    return _PHONE.sub(lambda m: "*" * 6 + re.sub(r"\D", "", m.group())[-2:], text)
