"""Settings for the clinic scheduler, read from the environment.

Development works with nothing set: SQLite in the checkout, DEBUG on, a throwaway key.
Production sets DJANGO_DEBUG=false, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; with
DEBUG off every HTTPS-only protection is switched on so `check --deploy` stays clean.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
import xstatic.pkg.bootstrap
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is false")
    SECRET_KEY = "development-only-key-never-used-in-production-" + "x" * 20

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    # Sign-in (see "Sign-in" below); before "clinic" so their permissions exist when the
    # roles are synced after migrate.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "simple_history",
    # Background work (reminders): Django's tasks framework, stored in the database by
    # default, on Redis through RQ for clinics with several servers.
    "django_tasks_db",
    "django_rq",
    "phonenumber_field",
    "clinic",
    "patients",
    "plans",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "clinic.middleware.ClinicTimeZoneMiddleware",
    "clinic.middleware.SessionLimitsMiddleware",
    "clinic.middleware.TwoFactorMiddleware",
    # Last, as axes asks: it turns a locked-out sign-in into the sign-in page's lockout message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite in the checkout unless DATABASE_URL names another database (PostgreSQL in production).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_PREPARED_STATEMENTS", True
):
    # Each connection plans a statement once and reuses the plan from its fifth run on:
    # every page repeats the same few statements, and most took longer to plan than to
    # run (the permissions: 0.6 ms to plan, 0.1 ms to run). Prepared statements need
    # server-side binding. Turn this off behind a pooler in transaction mode (PgBouncer
    # without max_prepared_statements).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Bookings are serialised on SQLite: IMMEDIATE takes the write lock when the
    # transaction starts, so two clerks can never both see a slot as free.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file, not SQLite's shared in-memory database, whose table locks fail at
    # once instead of waiting: concurrent bookings must queue as they do in production.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"clinic-test-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Axes first: it refuses a locked-out user name before any password is checked. Then
# Django's model backend, with the user's permissions read in one query (see clinic.auth).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "clinic.auth.ModelBackend"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in (clinic.signin, clinic.two_factor, clinic.middleware). Five failed sign-ins for a
# user name from one address lock that name from that address for 15 minutes, counted from
# the fifth (further tries while locked do not extend it); a success clears the count.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "clinic.signin.locked_out"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
# Behind a reverse proxy every sign-in comes from the proxy's address: say how many proxies
# to trust, and the address is read from X-Forwarded-For (never trusted otherwise).
CLINIC_TRUSTED_PROXIES = env_int("CLINIC_TRUSTED_PROXIES", 0)
AXES_CLIENT_IP_CALLABLE = "clinic.signin.client_address"
# A session ends after the clinic's minutes without activity (ClinicSettings) and at the
# latest 12 hours after sign-in; the cookie does not outlive that either.
SESSION_COOKIE_AGE = 12 * 60 * 60
# Admins (and clinicians, where the clinic says so) must use a second factor. Only the demo
# (`make run`) turns this off; whoever has set up an authenticator is still asked for a code.
CLINIC_REQUIRE_TWO_FACTOR = env_bool("CLINIC_REQUIRE_TWO_FACTOR", True)
OTP_TOTP_ISSUER = "Clinic scheduler"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Password reset emails: printed on the console in development, sent by SMTP in production.
MAILERS = {
    "default": (
        {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
        if DEBUG
        else {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 587),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
            },
        }
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "clinic@localhost")

# Background work: `database` (the default; `manage.py db_worker` runs the tasks) or
# `redis` (RQ on `REDIS_URL`; `manage.py rqworker default` runs them, on any server).
CLINIC_TASKS = os.environ.get("CLINIC_TASKS", "database")
RQ_QUEUES = {"default": {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")}}
# RQ's dashboard would sit in the admin for every staff account, reception's included, and
# let it delete or requeue reminders; `rq info` on the server shows the queue instead.
RQ_SHOW_ADMIN_LINK = False
if CLINIC_TASKS == "redis":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif CLINIC_TASKS == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    raise ImproperlyConfigured("CLINIC_TASKS is `database` or `redis`")

# Reminders by text message: `console` prints them, `twilio` sends them (see clinic.sms).
CLINIC_SMS_BACKEND = os.environ.get("CLINIC_SMS_BACKEND", "console")
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en-gb"
# The server's zone; the clinic's own zone (ClinicSettings.time_zone) is activated per request.
TIME_ZONE = os.environ.get("CLINIC_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

# Phone numbers are stored normalised (E.164, "+33630636610") and shown internationally
# ("+33 6 30 63 66 10"); a number typed without its country code is the clinic's country's.
PHONENUMBER_DEFAULT_REGION = os.environ.get("CLINIC_COUNTRY", "FR")
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Bootstrap comes from its PyPI package at install time, never from a CDN at run time.
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR)]
# Uploaded files (signed consents) are medical: never served as static files, only by
# views that check the reader's role. Keep the folder out of the web server's reach.
MEDIA_ROOT = Path(os.environ.get("CLINIC_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/files/"
# A scanned consent is a few pages: anything larger is refused at the form.
CLINIC_UPLOAD_LIMIT = env_int("CLINIC_UPLOAD_LIMIT", 10 * 1024 * 1024)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# The audit trail (django-simple-history): who changed what, kept for good. Reverting a
# row in admin would bypass the services' checks, and reading a model's history needs
# the history's own view permission (medical history is for clinicians only).
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Patient pages load nothing from third-party hosts: every asset is our own.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
