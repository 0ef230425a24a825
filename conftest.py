import pytest
from django.core.cache import cache, caches


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb):
    """The owner role creates and migrates the test database (granting the application role its
    rights); tests then connect to it as the application role, as the running site does."""
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    from phonix.db_roles import OWNER_ALIAS

    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=verbosity, interactive=False, aliases={OWNER_ALIAS},
            keepdb=django_db_keepdb and not django_db_createdb,
        )
        connections["default"].close()
        connections["default"].creation.set_as_test_mirror(connections[OWNER_ALIAS].settings_dict)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            connections.close_all()
            teardown_databases(config, verbosity=verbosity)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Tests share one Redis database; each starts with an empty cache (and no rendered fragments)."""
    cache.clear()
    caches["fragments"].clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """A page asked for in Chinese leaves that language active in the thread; start each test in English."""
    from django.utils import translation

    yield
    translation.deactivate()
