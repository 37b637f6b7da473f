"""Production settings pass Django's deployment checks and need their secrets."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def deploy_check(**env):
    """`check --deploy` failing on warnings, with production's settings (and `env`)."""
    return manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        SECRET_KEY="k" * 20 + "-production-secret-" + "z" * 20,
        ALLOWED_HOSTS="clinic.example",
        **env,
    )


def test_deploy_check_is_clean_in_production():
    result = deploy_check()
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_warns_when_two_factor_is_not_required():
    result = deploy_check(CLINIC_REQUIRE_TWO_FACTOR="false")
    assert result.returncode != 0
    assert "clinic.W001" in result.stderr + result.stdout


def test_production_sends_email_by_smtp_and_development_prints_it():
    script = "from django.core import mail; print(type(mail.mailers['default']).__module__)"
    production = manage(
        "shell",
        "-c",
        script,
        DJANGO_DEBUG="false",
        SECRET_KEY="k" * 20 + "-production-secret-" + "z" * 20,
        ALLOWED_HOSTS="clinic.example",
        EMAIL_HOST="smtp.clinic.example",
    )
    assert production.stdout.splitlines()[-1] == "django.core.mail.backends.smtp"
    development = manage("shell", "-c", script)
    assert development.stdout.splitlines()[-1] == "django.core.mail.backends.console"


def test_production_without_secret_key_refuses_to_start():
    result = manage("check", DJANGO_DEBUG="false", ALLOWED_HOSTS="clinic.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
