from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from phonix.auth import MemberRequest

from .selectors import rank_overview


@login_required
def overview(request: MemberRequest) -> HttpResponse:
    return render(request, "ranks/overview.html", {"o": rank_overview(user=request.user)})
