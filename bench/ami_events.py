"""AMI event throughput: a recorded stream through the wire parser, the event mapping and the call state machine.

`python -m bench.ami_events [--events 200000] [--chunk 4096]` builds a large stream from the Asterisk 22
captures (tests/fixtures/ami), giving every call fresh ids, and replays it as bytes in socket-sized chunks.
Goal: at least 20,000 AMI events per second on one core. Run by hand; never timed inside the tests.
"""

from __future__ import annotations

import argparse
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dialer.amievents import events_from_message
from dialer.amiwire import AmiParser
from dialer.ports import PbxEvent

CAPTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "ami"
ID = re.compile(rb"dlr-[a-z_]+-\d+")


def build_stream(target_events: int) -> tuple[bytes, int, int]:
    """(bytes, events, calls): the captures repeated round-robin with a fresh call id each time."""
    templates = [(path.read_bytes(), ID.search(path.read_bytes())) for path in sorted(CAPTURES.glob("*.ami"))]
    chunks: list[bytes] = [b"Asterisk Call Manager/10.0.0\r\n"]
    events = calls = 0
    while events < target_events:
        raw, found = templates[calls % len(templates)]
        assert found is not None
        chunks.append(raw.replace(found.group(0), f"bench-{calls}".encode()))
        events += raw.count(b"\r\n\r\n")
        calls += 1
    return b"".join(chunks), events, calls


def _state_machine() -> tuple[Any, Any] | None:
    try:
        import dialer.calls as calls
    except ImportError:
        return None
    return calls.new_call, calls.apply


def replay(stream: bytes, chunk: int, with_calls: bool) -> tuple[int, int, float]:
    """(AMI messages, dialer events, seconds) for one pass over the stream."""
    machine = _state_machine() if with_calls else None
    parser, at = AmiParser(), datetime(2026, 11, 23, 9, tzinfo=UTC)
    states: dict[str, Any] = {}
    messages = produced = 0
    started = time.perf_counter()
    for offset in range(0, len(stream), chunk):
        for message in parser.feed(stream[offset : offset + chunk]):
            messages += 1
            for event in events_from_message(message, at):
                produced += 1
                if machine is not None and isinstance(event, PbxEvent):
                    new_call, apply = machine
                    state = states.get(event.call_id) or new_call(event.call_id, at)
                    states[event.call_id], _ = apply(state, event)
    return messages, produced, time.perf_counter() - started


def main() -> None:
    """Print the throughput of each stage set."""
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--events", type=int, default=200_000)
    options.add_argument("--chunk", type=int, default=4096, help="bytes per simulated socket read")
    args = options.parse_args()
    stream, events, calls = build_stream(args.events)
    print(f"stream: {events:,} AMI messages for {calls:,} calls, {len(stream) / 1e6:.1f} MB, {args.chunk}-byte reads")
    has_calls = _state_machine() is not None
    runs = [("parser + event mapping", False)]
    runs.append(("parser + event mapping + call state machine (dialer.calls)", True) if has_calls
                else ("dialer.calls not importable: state machine skipped", False))
    for label, with_calls in runs:
        messages, produced, seconds = replay(stream, args.chunk, with_calls)
        rate = messages / seconds
        verdict = "ok" if rate >= 20_000 else "BELOW GOAL"
        print(f"{label}: {messages:,} messages -> {produced:,} dialer events in {seconds:.2f} s "
              f"= {rate:,.0f} messages/s ({verdict}, goal 20,000/s)")


if __name__ == "__main__":
    main()
