"""BCI settings: one file, every value from the environment (see .env.example)."""

import os
import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Everything a running demo writes lives under var/.
VAR_DIR = Path(env.str("BCI_VAR_DIR", default=str(BASE_DIR / "var")))


def _secret_key():
    """DJANGO_SECRET_KEY, else a random key kept in var/secret_key (created once, mode 0600).

    No key is ever published in the code: the demo and a single-host install need no
    setup, and several hosts behind one site share DJANGO_SECRET_KEY.
    """
    key = env.str("DJANGO_SECRET_KEY", default="")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
BCI_INDEX_DIR = Path(env.str("BCI_INDEX_DIR", default=str(VAR_DIR / "index")))
BCI_DATA_DIR = Path(env.str("BCI_DATA_DIR", default=str(BASE_DIR / "bci" / "demo" / "data")))
BCI_SIP2_HOST = env.str("BCI_SIP2_HOST", default="127.0.0.1")
BCI_SIP2_PORT = env.int("BCI_SIP2_PORT", default=6001)
BCI_SIP2_TLS_CERT = env.str("BCI_SIP2_TLS_CERT", default="")
BCI_SIP2_TLS_KEY = env.str("BCI_SIP2_TLS_KEY", default="")

# Optional tuning, taken from the environment only when set: otherwise the default written
# (and documented) beside the code that uses it applies. See docs/operations.md.
_OPTIONAL = {
    "BCI_SIP2_MAX_MESSAGE": env.int,
    "BCI_SIP2_IDLE_TIMEOUT": env.float,
    "BCI_SIP2_MALFORMED_BUDGET": env.int,
    "BCI_SIP2_MAX_CONNECTIONS": env.int,
    "BCI_OAI_REPOSITORY_ID": env.str,
    "BCI_OAI_REPOSITORY_NAME": env.str,
    "BCI_OAI_ADMIN_EMAIL": env.str,
    "BCI_OAI_RECORDS_PER_PAGE": env.int,
    "BCI_OAI_IDENTIFIERS_PER_PAGE": env.int,
    "BCI_OAI_TOKEN_LIFETIME": env.int,
    "BCI_SRU_DEFAULT_RECORDS": env.int,
    "BCI_SRU_MAX_RECORDS": env.int,
    "BCI_API_RATE_LIMIT": env.int,
    "BCI_NOTICE_INTERVAL": env.int,
    "BCI_RETENTION_FORMER_MEMBER_DAYS": env.int,
    "BCI_NOTICE_DUE_SOON_DAYS": env.int,
    "BCI_NOTICE_OVERDUE_1_DAYS": env.int,
    "BCI_NOTICE_OVERDUE_2_DAYS": env.int,
    "BCI_PUBLIC_URL": env.str,
    "DEFAULT_FROM_EMAIL": env.str,
}
for _name, _read in _OPTIONAL.items():
    if _name in env.ENVIRON:
        globals()[_name] = _read(_name)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs' Swagger UI assets locally (no CDN)
    "bci.core",  # domain apps in dependency order (docs/decisions/0003-app-order.md)
    "bci.organisations",
    "bci.accounts",
    "bci.catalogue",
    "bci.patrons",
    "bci.logistics",
    "bci.circulation",
    "bci.notices",
    "bci.protocols",
    "bci.opac",
    "bci.desk",
    "bci.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "bci.core.middleware.ApiLanguageMiddleware",
    "bci.core.middleware.LanguageCookieMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'bci.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at
    # the start of a transaction so concurrent writers queue instead of failing mid-way.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
    DATABASES["default"]["TEST"] = (
        {"NAME": str(VAR_DIR / "test.sqlite3")}
        if env.bool("BCI_TEST_DB_ON_DISK", default=False)
        else {}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from it (collectstatic)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# The demo writes mails as files under var/mail; production sets EMAIL_URL=smtp://...
# (django-environ drops the first "/" of the path: "filemail:///" + an absolute path.)
vars().update(env.email_url("EMAIL_URL", default=f"filemail:///{VAR_DIR / 'mail'}"))

# Login lockouts and API rate limits count in this cache. The default lives in one process;
# several processes (or hosts) need a shared one, e.g. CACHE_URL=redis://127.0.0.1:6379/1.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("BCI_LOG_LEVEL", default="WARNING")},
}
