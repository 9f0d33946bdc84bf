"""A real SMTP server for the rehearsal (aiosmtpd): every message it accepts becomes one
JSON line (Message-ID, envelope recipients, subject), so the rehearsal can compare what
arrived with the outbox table and find any email lost or delivered twice.

    python rehearsal/smtp_sink.py --port 2525 --log received.jsonl
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Recorder:
    """aiosmtpd handler: append one line per accepted message, flushed at once (the
    rehearsal reads the file while the server runs)."""

    def __init__(self, log_path: Path) -> None:
        self.log = log_path.open("a", encoding="utf-8")
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=default_policy)
        line = {
            "message_id": str(message.get("Message-ID", "")).strip(),
            "to": sorted(envelope.rcpt_tos),
            "subject": str(message.get("Subject", "")),
            "at": time.time(),
        }
        with self.lock:
            self.log.write(json.dumps(line) + "\n")
            self.log.flush()
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    args = parser.parse_args()
    controller = Controller(Recorder(args.log), hostname=args.host, port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"smtp sink listening on {args.host}:{args.port}", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
