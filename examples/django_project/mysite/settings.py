"""A minimal Django project whose every log record is a JSON line written by fastlog.

Run it from examples/django_project, with fastlog installed (see the README) and
``pip install django``::

    APP_LOG_FILE=app.log python manage.py runserver --noreload

    curl -i localhost:8000/orders/1/                  # answers with an X-Request-ID header
    curl -i -H "X-Request-ID: abc-123" localhost:8000/orders/99/
    curl -i localhost:8000/orders/0/                  # an unhandled error: logged with its id

What it shows:

- ``LOGGING`` (below) routes the root logger, ``django`` and ``django.server`` to
  ``fastlog_stdlib.FastlogHandler``. Django applies its own defaults first; naming ``django``
  and ``django.server`` here replaces their console and mail handlers, so Django's request
  errors, its warnings and runserver's access lines all land in the same file, in one schema.
- ``mysite.middleware.request_id_middleware`` binds the request's id with
  ``fastlog_core.bind_context`` (unbound on Django's ``request_finished`` signal) and returns
  it in ``X-Request-ID``: the view's records, Django's "Not Found" and "Internal Server Error"
  records (with the structured ``exception``) and runserver's access line carry ``request_id``.
  The context is per thread (and per asyncio task), so concurrent requests keep their own.
- No database: ``DATABASES`` is empty and no app needs one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-key-for-the-example-only")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "mysite.middleware.request_id_middleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"
DATABASES: dict[str, Any] = {}
USE_TZ = True

LOG_FILE = os.environ.get("APP_LOG_FILE", str(BASE_DIR / "app.log"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "json": {"class": "fastlog_stdlib.FastlogHandler", "sink": LOG_FILE, "level": "INFO"},
    },
    "root": {"handlers": ["json"], "level": "INFO"},
    "loggers": {
        # Replace the handlers Django's defaults give these two (console, mail_admins and
        # runserver's own text formatter): their records go to root, so to the JSON file.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
