"""Query parameters: each page validates what it reads from its URL; a bad value answers 400.

A view passes its own form (a subclass of QueryForm) to `query_params`, which returns the
cleaned values or raises QueryInvalid, which the 400 handler shows with its reason.
"""

from typing import Any, TypeVar

from django import forms
from django.core.exceptions import BadRequest
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from phonix.forms import PlainIntegerField

MAX_PAGE = 1_000_000
FormT = TypeVar("FormT", bound=forms.Form)


class QueryInvalid(BadRequest):
    """A query parameter the page cannot use; the message says which and why."""


class QueryForm(forms.Form):
    """What every list page reads: the page number."""

    page = PlainIntegerField(label=gettext_lazy("Page"), min_value=1, max_value=MAX_PAGE, required=False)


def query_params(request: HttpRequest, form_class: type[forms.Form] = QueryForm, *,
                 defaults: dict[str, str] | None = None, **form_kwargs: Any) -> dict[str, Any]:
    """The cleaned query parameters of `request`, or QueryInvalid naming what is wrong."""
    return query_form(request, form_class, defaults=defaults, **form_kwargs).cleaned_data


def query_form(request: HttpRequest, form_class: type[FormT], *,
               defaults: dict[str, str] | None = None, **form_kwargs: Any) -> FormT:
    """The bound, valid form of `request`'s query parameters (for pages that show it again)."""
    data = request.GET.copy()
    for name, value in (defaults or {}).items():
        data.setdefault(name, value)
    form = form_class(data, **form_kwargs)
    if not form.is_valid():
        raise QueryInvalid(query_errors_text(form))
    return form


def query_errors_text(form: forms.Form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        parts.append(f"{label or name}: {' '.join(str(error) for error in errors)}")
    return _("The address of this page has a value it cannot use. %(errors)s") % {"errors": " ".join(parts)}
