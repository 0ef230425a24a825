from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from earnings.selectors import earnings_summary
from mining.selectors import mining_status
from wallet.selectors import member_balances, recent_history


@login_required
def home(request):
    return render(
        request,
        "dashboard/home.html",
        {"balances": member_balances(user=request.user), "recent": recent_history(user=request.user),
         "earnings": earnings_summary(user=request.user), "mining": mining_status(user=request.user)},
    )
