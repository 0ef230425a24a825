import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_cache():
    """Tests share one Redis database; each starts with an empty cache."""
    cache.clear()
    yield
