"""Phone numbers out of log lines: what the PBX says about a channel names the number it dials."""

from __future__ import annotations

import re

# E.164 (`+33612345678`, as in `Local/+33612345678@rdv-outbound`), a bare international run of 9 to 15
# digits, or a French national form with optional separators (`06 12 34 56 78`). Addresses such as
# 127.0.0.1:5038 and the dialer's hexadecimal call ids are left alone.
_PHONE = re.compile(r"\+\d{6,15}|(?<![\w.])\d{9,15}(?![\w.])|(?<![\w.])0\d(?:[ .\-]?\d{2}){4}(?![\w.])")


def redact_phones(text: str) -> str:
    """`text` with every phone-like number replaced by stars and its last two digits."""
    return _PHONE.sub(lambda m: "*" * 6 + re.sub(r"\D", "", m.group())[-2:], text)
