from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import rank_overview


@login_required
def overview(request):
    return render(request, "ranks/overview.html", {"o": rank_overview(user=request.user)})
