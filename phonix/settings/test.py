from .base import *  # noqa: F403
from .base import env

DEBUG = False
# Tests use their own Redis database so that a developer's data is left alone.
CACHES["default"]["LOCATION"] = env("TEST_CACHE_URL", default=REDIS_URL.rsplit("/", 1)[0] + "/15")  # noqa: F405
# One test database, created and migrated by the owner; tests connect as the application role
# (conftest.py's django_db_setup).
for _database in DATABASES.values():  # noqa: F405
    _database["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_phonix"), "DEPENDENCIES": []}
CACHES["default"]["KEY_PREFIX"] = "phonix-test"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Tasks run inline so that a test sees the whole flow; the broker itself is checked by /healthz tests.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
