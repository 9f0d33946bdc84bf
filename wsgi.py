"""WSGI entry point: ``gunicorn wsgi:app``. A bad configuration stops with one clear line."""

from config import ConfigError
from telemed import create_app

try:
    app = create_app()
except ConfigError as err:
    raise SystemExit(str(err)) from None
