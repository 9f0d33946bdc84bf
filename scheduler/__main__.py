"""``python -m scheduler``: the production scheduler process (one active, others standby)."""

from __future__ import annotations

import logging
import signal

from config import ConfigError
from scheduler.runner import Runner
from telemed import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        app = create_app()
    except ConfigError as err:
        raise SystemExit(str(err)) from None
    runner = Runner(app)
    # A graceful stop: the runner waits for its running jobs before releasing the lease.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: runner.stopping.set())
    runner.run_forever()


if __name__ == "__main__":
    main()
