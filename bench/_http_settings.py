"""Settings of the gunicorn that bench/pages_under_load.py starts: the bench's own settings, plus a URLconf
that adds the bare signed-in reference view (production gets no such route)."""

from phonix.settings.test import *  # noqa: F403

ROOT_URLCONF = "bench._http_urls"
