from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from phonix.context_processors import THEME_COOKIE, THEMES
from phonix.health import health_report


@never_cache
def healthz(request):
    report = health_report()
    return JsonResponse(report, status=200 if report["ok"] else 503)


def favicon(request):
    # Browsers ask for /favicon.ico whatever the page links; send them to the static icon.
    return redirect(static("favicon.svg"), permanent=True)


@require_POST
def theme_set(request):
    """Remember the chosen colour mode in a cookie (the page script switches it at once)."""
    theme = request.POST.get("theme", "")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if theme in THEMES:
        response.set_cookie(THEME_COOKIE, theme, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=request.is_secure())
    return response


def bad_request(request, exception=None):
    from phonix.params import QueryInvalid

    # Only our own refusals carry a message meant for the reader; others may name internals.
    message = str(exception) if isinstance(exception, QueryInvalid) else ""
    return render(request, "400.html", {"message": message}, status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
