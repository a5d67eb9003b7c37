"""The demo's job runs on its idle-time clock: the day's opening and closing at once, the shared jobs (the evening
e-mail, the outbox, stale claims) in a thread, one run at a time, each at its time.

The e-mail's PDF is laid out in a child process (`reports.appointment_pdf.rendering_process`), so the thread holds
the interpreter lock only briefly, and the next day could start while the e-mail is made. But simulated time runs
`scale` times the loop's idle time, and the loop is idle while it waits for the thread: at 8,000x, a run that
takes 100 ms on a loaded machine is 13 simulated minutes, during which the next runs fall due and the evening
e-mail, queued behind them, is made long after 19:15 (or after a jump, the next morning). In a real centre these
jobs take milliseconds against a day of hours, so here:
- a run that falls due while another is under way is owed, and the clock stands still until the one under way
  ends and the owed one starts;
- once every calling day is closed (nothing but time would move), runs stand the clock still while they work;
- while a run is owed or under way the demo does not jump its clock (`busy`).
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime

from rdv.demo_clock import IdleClock
from rdv.runtime import Runtime


class DemoJobs:
    """Runs the runtime's job runners for the demo loop (`wake` at fire times, `poll` between them)."""

    def __init__(self, runtime: Runtime, clock: IdleClock) -> None:
        self.runtime, self.clock = runtime, clock
        self.task: asyncio.Task[object] | None = None
        self.owed = False
        self._hold: AbstractContextManager[None] | None = None

    async def wake(self, now: datetime) -> None:
        """The jobs due at `now`: the local ones at once, the shared ones owed to the thread."""
        runtime = self.runtime
        runtime.local.run_due(now)
        self.owed = runtime.is_leader()
        self.poll()
        await runtime.staffing.apply(now)

    def poll(self) -> None:
        """Start the owed run of the shared jobs, or hold the clock until the run under way lets it start."""
        if self.task is not None and self.task.done():
            self.task.result()  # a failure of the runner itself (each job's own failure is logged and retried)
            self.task = None
        if not self.owed:
            return
        if self.task is None:
            self.owed = False
            frozen = not self.runtime.staffing.any_open()
            self.task = asyncio.create_task(asyncio.to_thread(self._run, self.clock.now(), frozen))
            self._release()
        elif self._hold is None:
            self._hold = self.clock.working()
            self._hold.__enter__()
            # The demo loop sleeps on the clock, which the hold stops: the end of the run must start the owed one.
            self.task.add_done_callback(lambda _task: self.poll())

    def _run(self, now: datetime, frozen: bool) -> object:
        with self.clock.working() if frozen else nullcontext():
            return self.runtime.shared.run_due(now)

    def _release(self) -> None:
        if self._hold is not None:
            hold, self._hold = self._hold, None
            hold.__exit__(None, None, None)

    def busy(self) -> bool:
        """Whether a run of the shared jobs is owed or under way: the clock must not jump over it."""
        return self.owed or (self.task is not None and not self.task.done())

    async def finish(self, now: datetime | None) -> None:
        """Wait for the run in progress; then, given `now`, run what fell due meanwhile."""
        self.owed = False
        self._release()
        if self.task is not None:
            task, self.task = self.task, None
            await task
        if now is not None and self.runtime.is_leader():
            await asyncio.to_thread(self._run, now, True)
