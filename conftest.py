import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_cache():
    """Tests share one Redis database; each starts with an empty cache."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """A page asked for in Chinese leaves that language active in the thread; start each test in English."""
    from django.utils import translation

    yield
    translation.deactivate()
