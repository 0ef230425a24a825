from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds as the two largest units a person reads at a glance: "3 d 4 h", "5 min 2 s", "0.4 s"."""
    if seconds in (None, ""):
        return "—"
    seconds = float(seconds)
    if seconds < 10:
        return _("%(n).1f s") % {"n": seconds}
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, _("%(n)s d")), (hours, _("%(n)s h")), (minutes, _("%(n)s min")), (secs, _("%(n)s s"))]
    first = next(i for i, (n, _unit) in enumerate(parts) if n)
    return " ".join(unit % {"n": n} for n, unit in parts[first : first + 2] if n)
