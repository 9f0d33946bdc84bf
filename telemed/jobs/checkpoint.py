"""Cooperative stopping for long jobs: a run checks ``should_stop()`` between its units of
work (a board placed, a message sent, a chunk flagged, a session's invitations) and ends
there when asked, having committed only whole units.

The scheduler runs each job inside ``watching(halt, holder)``: the run is asked to stop when
the scheduler is shutting down and its grace period is over (``halt``), or when this process
no longer holds the lease (a standby may have taken over, and must not find the same work
half-done by a process that has lost the right to do it). Outside a scheduler job (a
command, a test) nothing asks a run to stop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from telemed.jobs import lease

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Watch:
    halt: threading.Event
    holder: str

    def should_stop(self) -> bool:
        if self.halt.is_set():
            return True
        if not lease.holds(self.holder):
            log.warning("lease lost by %s: stopping the running job at its checkpoint", self.holder)
            return True
        return False


_current: ContextVar[Watch | None] = ContextVar("telemed_job_watch", default=None)


@contextmanager
def watching(halt: threading.Event, holder: str) -> Iterator[Watch]:
    """Make ``should_stop`` answer for this job run (this thread) while it lasts."""
    watch = Watch(halt, holder)
    token = _current.set(watch)
    try:
        yield watch
    finally:
        _current.reset(token)


def should_stop() -> bool:
    """Whether the running job must end at this checkpoint (never outside a scheduler job)."""
    watch = _current.get()
    return watch is not None and watch.should_stop()
