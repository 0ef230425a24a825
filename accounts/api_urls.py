"""accounts' part of /api/v1/ (included by phonix/api_urls.py, in its "api" namespace)."""

from django.urls import path

from . import apis

urlpatterns = [
    path("auth/register/", apis.RegisterView.as_view(), name="register"),
    path("auth/token/", apis.TokenObtainView.as_view(), name="token"),
    path("auth/tokens/", apis.TokensView.as_view(), name="tokens"),
    path("auth/tokens/<str:token_key>/", apis.TokenRevokeView.as_view(), name="token_revoke"),
    path("auth/logout/", apis.LogoutView.as_view(), name="logout"),
    path("profile/", apis.ProfileView.as_view(), name="profile"),
    path("profile/withdrawal-address/", apis.WithdrawalAddressView.as_view(), name="withdrawal_address"),
    path("team/", apis.TeamView.as_view(), name="team"),
    path("team/members/", apis.TeamMembersView.as_view(), name="team_members"),
    path("team/tree/<int:member_id>/", apis.TeamTreeView.as_view(), name="team_tree"),
]
