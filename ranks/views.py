from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from phonix.auth import MemberRequest
from phonix.page_cache import member_page

from .selectors import rank_overview


@login_required
@member_page
def overview(request: MemberRequest) -> HttpResponse:
    return render(request, "ranks/overview.html", {"o": rank_overview(user=request.user)})
