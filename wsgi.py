"""WSGI entry point: ``gunicorn wsgi:app``. A bad configuration stops with one clear line."""

import gc

from config import ConfigError
from telemed import create_app

try:
    app = create_app()
except ConfigError as err:
    raise SystemExit(str(err)) from None

# What start-up loaded stays for the process's life: keep it out of the garbage
# collector's full passes, which otherwise cost a dashboard request ~100 ms now and then.
gc.freeze()
