"""Navigation helpers: which link is the current page, without any query."""

from django import template

register = template.Library()


def _current_view(context) -> str:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return match.view_name if match else ""


@register.simple_tag(takes_context=True)
def nav_current(context, *view_names: str) -> bool:
    """True when the page being shown is one of `view_names` (e.g. "wallet:deposit")."""
    return _current_view(context) in view_names


@register.inclusion_tag("partials/_nav_link.html", takes_context=True)
def nav_link(context, view_name: str, label: str, css: str = "nav-link"):
    return {"view_name": view_name, "label": label, "css": css, "current": _current_view(context) == view_name}
