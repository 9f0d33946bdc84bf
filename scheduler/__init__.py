"""Background jobs with APScheduler 3: ``build_scheduler(app)`` and the leader ``Runner``.

Run it with ``python -m scheduler`` (production) or embedded by ``flask serve`` (development).
Only the holder of the database lease runs jobs; other processes wait as standbys.
"""

from scheduler.runner import Runner, build_scheduler

__all__ = ["Runner", "build_scheduler"]
