"""Base classes of the JSON API's views (kept apart from phonix.api, which DRF's settings import)."""

from typing import Any

from rest_framework.generics import GenericAPIView

# GenericAPIView's type parameter is the model its queryset holds. A view that builds its answer
# from services serves no model's rows, and so has none to name.
ServiceAPIView = GenericAPIView[Any]
