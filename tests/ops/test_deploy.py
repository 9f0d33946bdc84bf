"""The deployment files in ``deploy/`` are valid and agree with the application: nginx accepts
the site (``nginx -t``), systemd the units (``systemd-analyze verify``), the upload ceiling is
the application's, the scheduler gets longer than its stop bound, and the example settings
start production once its secrets are generated."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx-telemed.conf"
UNITS = ("telemed-web.service", "telemed-scheduler.service")
ENV_EXAMPLE = DEPLOY / "telemed.env.example"


def directive(text: str, name: str) -> list[str]:
    """The values of every ``name value;`` directive in an nginx or systemd file."""
    return re.findall(rf"^\s*{re.escape(name)}\s*[= ]\s*(.+?);?\s*$", text, flags=re.MULTILINE)


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "telemed.example.mx")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert, private = folder / "fullchain.pem", folder / "privkey.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, private


def test_nginx_accepts_the_site(tmp_path: Path):
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    cert, key = self_signed(tmp_path)
    site = (
        SITE.read_text()
        .replace("/etc/ssl/telemed/fullchain.pem", str(cert))
        .replace("/etc/ssl/telemed/privkey.pem", str(key))
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"error_log {tmp_path}/error.log;\npid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, timeout=30)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "[emerg]" not in checked.stderr


def test_the_site_proxies_as_the_application_expects(app: Flask):
    site = SITE.read_text()
    headers = dict(value.split(None, 1) for value in directive(site, "proxy_set_header"))
    assert headers["X-Request-ID"] == "$request_id"
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Forwarded-Host"] == "$host"
    # The upload ceiling is the application's: the largest attachment plus 1 MB of form.
    (size,) = directive(site, "client_max_body_size")
    assert size == f"{app.config['MAX_CONTENT_LENGTH'] // (1024 * 1024)}m"
    # Static files come from the package's own folder.
    (static,) = [line for line in site.splitlines() if line.strip().startswith("alias ")]
    assert static.strip().endswith("/telemed/static/;") and (ROOT / "telemed" / "static").is_dir()
    # nginx waits longer than gunicorn, which waits for the slowest page.
    (read_timeout,) = directive(site, "proxy_read_timeout")
    web = (DEPLOY / "telemed-web.service").read_text()
    gunicorn_timeout = int(re.search(r"--timeout (\d+)", web).group(1))  # type: ignore[union-attr]
    assert int(read_timeout.rstrip("s")) > gunicorn_timeout


def test_systemd_accepts_the_units(tmp_path: Path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    venv_bin = Path(sys.executable).parent
    for unit in UNITS:
        text = (
            (DEPLOY / unit).read_text()
            .replace("/opt/telemed/venv/bin/", f"{venv_bin}/")
            .replace("/opt/telemed/app", str(ROOT))
        )  # fmt: skip
        (tmp_path / unit).write_text(text)
    checked = subprocess.run([analyze, "verify", *UNITS], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "Unknown" not in checked.stderr and "ignoring" not in checked.stderr, checked.stderr


def test_the_units_run_as_documented(app: Flask):
    web = (DEPLOY / "telemed-web.service").read_text()
    scheduler = (DEPLOY / "telemed-scheduler.service").read_text()
    for unit in (web, scheduler):
        assert directive(unit, "EnvironmentFile") == ["/etc/telemed/telemed.env"]
        assert directive(unit, "Restart") == ["always"]
    assert "--bind 127.0.0.1:8000" in web
    assert directive(web, "Environment") == ["PROMETHEUS_MULTIPROC_DIR=/run/telemed-web"]
    assert directive(scheduler, "ExecStart") == ["/opt/telemed/venv/bin/python -m scheduler"]
    assert directive(scheduler, "KillSignal") == ["SIGTERM"]
    # systemd must not kill the scheduler while it waits for its jobs to stop.
    (stop,) = directive(scheduler, "TimeoutStopSec")
    assert int(stop) > app.config.get("SCHEDULER_STOP_SECONDS", 30) + 30


def example_settings() -> dict[str, str]:
    settings = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            settings[name] = value.strip('"')
    return settings


def test_every_example_setting_is_one_the_application_reads():
    source = (ROOT / "config.py").read_text()
    for name in example_settings():
        assert name.startswith("TELEMED_"), name
        read = r'env\w*\(\s*"' + re.escape(name.removeprefix("TELEMED_")) + '"'
        assert re.search(read, source) or f'"{name}"' in source, name


def start_production(settings: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TELEMED_")}
    environment.update(settings)
    return subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_the_example_starts_production_once_its_secrets_are_generated(tmp_path: Path):
    settings = example_settings()
    settings["TELEMED_INSTANCE_PATH"] = str(tmp_path)
    if importlib.util.find_spec("redis") is None:  # the Redis client comes with the limits' work
        settings["TELEMED_RATELIMIT_STORAGE_URI"] = "memory://"
    refused = start_production(settings)
    assert refused.returncode == 1 and "TELEMED_SECRET_KEY" in refused.stderr  # a placeholder

    generated = {name: secrets.token_urlsafe(48) if value == "generate-me" else value
                 for name, value in settings.items()}  # fmt: skip
    started = start_production(generated)
    assert started.returncode == 0, started.stderr


def test_the_command_wrapper_migrates_and_creates_the_first_administrator(tmp_path: Path):
    """``deploy/telemed-flask`` as the README uses it: the service's user, settings file and
    checkout (here: this user, a settings file made from the example, this checkout)."""
    runuser = shutil.which("runuser", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if runuser is None or os.geteuid() != 0:
        pytest.skip("needs root and runuser (util-linux), as on the server")
    settings = example_settings()
    settings.update(
        TELEMED_SECRET_KEY=secrets.token_urlsafe(48),
        TELEMED_METRICS_TOKEN=secrets.token_urlsafe(32),
        TELEMED_DATABASE_URL=f"sqlite:///{tmp_path / 'telemed.sqlite3'}",
        TELEMED_INSTANCE_PATH=str(tmp_path),
    )
    if importlib.util.find_spec("redis") is None:
        settings["TELEMED_RATELIMIT_STORAGE_URI"] = "memory://"
    env_file = tmp_path / "telemed.env"
    env_file.write_text("".join(f'{name}="{value}"\n' for name, value in settings.items()))
    wrapper = tmp_path / "telemed-flask"
    wrapper.write_text(
        (DEPLOY / "telemed-flask").read_text()
        .replace("runuser -u telemed", f"{runuser} -u root")
        .replace("/etc/telemed/telemed.env", str(env_file))
        .replace("/opt/telemed/venv/bin/", f"{Path(sys.executable).parent}/")
        .replace("/opt/telemed/app", str(ROOT))
    )  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TELEMED_")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["sh", str(wrapper), *args], env=clean, capture_output=True,
                              text=True, timeout=120)  # fmt: skip

    migrated = run("db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    password = secrets.token_urlsafe(16)
    created = run("users", "create", "--email", "admin@hospital.test", "--name",
                  "Administración", "--role", "admin", "--password", password)  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "Created admin@hospital.test (admin)." in created.stdout
