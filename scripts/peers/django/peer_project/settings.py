"""Settings of the django-scim2 peer: a throwaway SCIM 2.0 server for testing scim-harness.

Not for production: fixed secret key, no TLS, a single bearer token.
Environment:
  PEER_TOKEN    the bearer token every /scim/ request must carry (required to serve)
  PEER_DB_PATH  the SQLite file (default: a file in the system temp directory)
"""
import os
import tempfile

SECRET_KEY = "django-scim2-peer-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]  # bound to 127.0.0.1 only; any Host header may name it

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_scim",
    "peer",
]

# No sessions, CSRF or CommonMiddleware (no APPEND_SLASH redirects): the bearer-token check
# is the only middleware, and it sets request.user for django-scim2's own auth check.
MIDDLEWARE = [
    "peer.middleware.BearerTokenMiddleware",
]

ROOT_URLCONF = "peer_project.urls"
WSGI_APPLICATION = "peer_project.wsgi.application"
AUTH_USER_MODEL = "peer.User"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("PEER_DB_PATH")
        or os.path.join(tempfile.gettempdir(), "django-scim2-peer.sqlite3"),
        "OPTIONS": {
            # BEGIN IMMEDIATE takes the write lock up front (and waits for it up to `timeout`
            # seconds) instead of failing a read-to-write upgrade with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        },
    }
}

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

# Passwords only ever set through SCIM; a fast hasher keeps POST /Users cheap.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

SCIM_SERVICE_PROVIDER = {
    "NETLOC": "127.0.0.1",  # unused: BASE_LOCATION_GETTER below builds it from the request
    "BASE_LOCATION_GETTER": "peer.scim_hooks.base_location",
    "GET_EXTRA_MODEL_FILTER_KWARGS_GETTER": "peer.scim_hooks.extra_filter_kwargs_getter",
    "GET_EXTRA_MODEL_EXCLUDE_KWARGS_GETTER": "peer.scim_hooks.extra_exclude_kwargs_getter",
    "GROUP_MODEL": "peer.models.Group",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication scheme using the OAuth Bearer Token Standard",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": True,
        },
    ],
    "WWW_AUTHENTICATE_HEADER": 'Bearer realm="django-scim2-peer"',
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django_scim": {"handlers": ["console"], "level": "WARNING"},
        "django.request": {"handlers": ["console"], "level": "ERROR"},
    },
}
