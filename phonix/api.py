"""What every endpoint of the JSON API (/api/v1/) shares: amounts as text, errors as RFC 9457
problem details, throttles, cursor pages and `Idempotency-Key`.

Endpoints live in each app's `apis.py` and call the same services and selectors as the pages.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import BasePagination, CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from phonix import exceptions as domain
from phonix.auth import signed_in_user
from phonix.money import parse_amount
from phonix.ratelimit import RateLimited, client_address

if TYPE_CHECKING:
    # DRF's settings import this module (its throttles) while DRF's views load: not at run time.
    from rest_framework.views import APIView

PROBLEM_CONTENT_TYPE = "application/problem+json"
FormT = TypeVar("FormT", bound=forms.Form)
Row = TypeVar("Row")


# Amounts ------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{6}$", "example": "100.000000"})
class AmountField(serializers.Field[Decimal, str, str, object]):
    """A USDT amount: read from a JSON string (never a number: a float is not exact) by the same
    parser as the pages' AmountField, written as a string with 6 places."""

    default_error_messages = {"type": gettext_lazy("Send amounts as strings, for example \"100.50\".")}

    def __init__(self, *, allow_negative: bool = False, **kwargs: Any):
        self.allow_negative = allow_negative
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> Decimal:
        if not isinstance(data, str):
            self.fail("type")
        try:
            return parse_amount(data, allow_negative=self.allow_negative)
        except domain.InvalidAmount as error:
            raise serializers.ValidationError(str(error), code="amount") from None

    def to_representation(self, value: Decimal) -> str:
        return f"{Decimal(value):.6f}"


# Problem details (RFC 9457) -----------------------------------------------------------------

# Domain refusals are 422 unless named here; the code is the error's class name in snake_case.
DOMAIN_STATUS = {
    domain.IdempotencyConflict: status.HTTP_409_CONFLICT,
    domain.NotFound: status.HTTP_404_NOT_FOUND,
    domain.NotPermitted: status.HTTP_403_FORBIDDEN,
    domain.RateLimited: status.HTTP_429_TOO_MANY_REQUESTS,
}


def problem_code(error: Exception) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__).lower()


def problem_response(*, status_code: int, code: str, detail: str, title: str | None = None,
                     errors: dict | None = None, headers: dict | None = None) -> Response:
    body = {
        "type": f"urn:phonix:problem:{code}",
        "title": title or code.replace("_", " ").capitalize(),
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _first_text(detail) -> str:
    """The first message of a DRF error detail (a string, a list or a dict of them)."""
    if isinstance(detail, dict):
        detail = next(iter(detail.values()), "")
    if isinstance(detail, list):
        return _first_text(detail[0]) if detail else ""
    return str(detail)


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {name: [str(message) for message in (value if isinstance(value, list) else [value])]
                for name, value in detail.items()}
    return {"non_field_errors": [str(message) for message in (detail if isinstance(detail, list) else [detail])]}


def problem_exception_handler(exc, context) -> Response | None:
    """DRF's exception handler: every refusal as a problem document with a stable `code`."""
    if isinstance(exc, domain.PhonixError):
        status_code = next((code for kind, code in DOMAIN_STATUS.items() if isinstance(exc, kind)),
                           status.HTTP_422_UNPROCESSABLE_ENTITY)
        return problem_response(status_code=status_code, code=problem_code(exc), detail=str(exc))
    if isinstance(exc, RateLimited):
        return problem_response(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS, code="rate_limited",
            detail=_("Too many attempts; try again in %(seconds)d seconds.") % {"seconds": exc.retry_after},
            headers={"Retry-After": str(exc.retry_after)},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, BadRequest):
        return problem_response(status_code=status.HTTP_400_BAD_REQUEST, code="invalid_query", detail=str(exc))
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handling and Sentry see it
    headers = {}
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, math.ceil(exc.wait or 1))  # type: ignore[attr-defined]  # set by Throttled, not in its stub
        headers["Retry-After"] = str(wait)
        return problem_response(
            status_code=exc.status_code, code="throttled", headers=headers,
            detail=_("Too many requests; try again in %(seconds)d seconds.") % {"seconds": wait},
        )
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        headers["WWW-Authenticate"] = "Bearer"
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        return problem_response(status_code=status.HTTP_400_BAD_REQUEST, code="invalid",
                                title=_("The request has invalid fields"), detail=_first_text(exc.detail),
                                errors=errors)
    return problem_response(status_code=exc.status_code, code=exc.default_code, detail=_first_text(exc.detail),
                            headers=headers)


def form_errors_raise(form, *, rename: dict[str, str] | None = None) -> None:
    """Raise a page form's errors as the API's 400, field by field (`rename`: form → API names)."""
    names = {"__all__": "non_field_errors", **(rename or {})}
    errors: dict[str, list[str]] = {}
    for name, messages in form.errors.items():
        errors.setdefault(names.get(name, name), []).extend(str(message) for message in messages)
    raise exceptions.ValidationError(errors)


# Throttles ----------------------------------------------------------------------------------


class _SettingsRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is read from API_THROTTLE_RATES at each request."""

    scope: str

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATES[self.scope]


class TokenThrottle(_SettingsRateThrottle):
    """Per app token (or per member, for the browser's session)."""

    scope = "token"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        token_key = getattr(request.auth, "token_key", None)
        if token_key:
            return f"api-throttle:token:{token_key}"
        if request.user and request.user.is_authenticated:
            return f"api-throttle:user:{request.user.pk}"
        return None


class AddressThrottle(_SettingsRateThrottle):
    """Per client address, signed in or not (the address the sign-in lockout reads)."""

    scope = "address"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return f"api-throttle:address:{client_address(request._request)}"


# Pages --------------------------------------------------------------------------------------


class _BadPageIs400(BasePagination):
    """A page or cursor that does not exist is bad input (400 naming the parameter), not a 404."""

    parameter_name: str

    def paginate_queryset(self, queryset: QuerySet[Any, Row] | Sequence[Row], request: Request,
                          view: APIView | None = None) -> list[Row] | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as error:
            raise exceptions.ValidationError({self.parameter_name: [str(error.detail)]}) from None


class NewestFirstCursor(_BadPageIs400, CursorPagination):
    """Opaque cursors over (created_at, id), newest first: stable while new rows arrive."""

    ordering = ("-created_at", "-id")
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    parameter_name = "cursor"


class NumberedPage(_BadPageIs400, PageNumberPagination):
    page_size = 25
    parameter_name = "page"


# Idempotency-Key ----------------------------------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_TEXT = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="A value of your choosing (a UUID is best), unique per request you mean once. Sending it "
                "again with the same body returns the first answer; with another body, 409.",
)
_TOKEN_NAMESPACE = uuid.UUID("5d0f4c1e-6f0b-4b1e-9d39-3b8a5c2f7a10")


class IdempotencyKeyMissing(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "idempotency_key_required"
    default_detail = gettext_lazy("Send an Idempotency-Key header: 1 to 255 printable characters, no spaces.")


def body_digest(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@contextmanager
def _key_lock(name: str) -> Iterator[None]:
    """Hold a session advisory lock while the request runs: a repeat of the key waits for the first
    request to finish, then finds its answer. The service commits on its own in between."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [name])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [name])


def idempotent(request: Request, *, scope: str, body: dict[str, Any], perform: Callable[[str], Response]) -> Response:
    """Answer the first request with `Idempotency-Key` K by `perform(token)`, and every repeat of K
    with that first answer.

    `body` is what identifies the request (never a password); `token` is derived from the key and
    given to the service as its own idempotency token, so that even a crash between the service's
    commit and this table's row leaves one purchase or withdrawal.
    """
    from phonix.models import ApiIdempotencyKey

    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not IDEMPOTENCY_KEY_TEXT.fullmatch(key):
        raise IdempotencyKeyMissing()
    digest = body_digest(body)
    user = signed_in_user(request)
    with _key_lock(f"api-idempotency:{user.pk}:{scope}:{key}"):
        first = ApiIdempotencyKey.objects.filter(user=user, scope=scope, key=key).first()
        if first is not None:
            if first.body_digest != digest:
                raise domain.IdempotencyConflict(
                    _("This Idempotency-Key was used for another request; use a new key for a new request.")
                )
            return Response(first.response, status=first.status_code, headers={"Idempotent-Replayed": "true"})
        response = perform(str(uuid.uuid5(_TOKEN_NAMESPACE, f"{user.pk}:{scope}:{key}")))
        ApiIdempotencyKey.objects.create(user=user, scope=scope, key=key, body_digest=digest,
                                         status_code=response.status_code, response=response.data)
    return response


def query_form_valid(request: Request, form_class: type[FormT], *, defaults: dict[str, Any] | None = None,
                     **form_kwargs: Any) -> FormT:
    """A page's query form bound to the API request's query parameters; invalid → 400 by field."""
    data = request.query_params.copy()
    for name, value in (defaults or {}).items():
        data.setdefault(name, value)
    form = form_class(data, **form_kwargs)
    if not form.is_valid():
        form_errors_raise(form)
    return form


def form_parameters(form_class: type[forms.Form], *, exclude: tuple[str, ...] = ("page",)) -> list[OpenApiParameter]:
    """A page's query form described as the endpoint's query parameters, for the schema."""
    parameters = []
    for name, field in form_class.base_fields.items():
        if name in exclude:
            continue
        kind = (OpenApiTypes.DATE if isinstance(field, forms.DateField)
                else OpenApiTypes.INT if isinstance(field, forms.IntegerField | forms.ModelChoiceField)
                else OpenApiTypes.STR)
        choices = None  # a model's rows are data, not part of the schema
        if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            # A ChoiceField holds its choices as a list of pairs; the stub types what its setter takes.
            choices = [value for value, _label in field.choices if value != ""] or None  # type: ignore[misc,union-attr]
        parameters.append(OpenApiParameter(name, kind, OpenApiParameter.QUERY, required=False, enum=choices,
                                           description=str(field.label or "")))
    return parameters
