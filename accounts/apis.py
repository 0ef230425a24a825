"""Accounts endpoints of the JSON API: registration, app tokens, profile, team, data export.

Sign-in goes through the same authentication backends as /accounts/login/, so a failed token
request counts toward the same lockout (django-axes) and a locked-out member is locked out of both.
"""

from django.conf import settings
from django.contrib.auth import authenticate, logout
from django.contrib.auth.signals import user_logged_in
from django.db import IntegrityError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from phonix.api import AmountField, form_errors_raise, form_parameters, query_form_valid
from phonix.auth import signed_in_user
from phonix.ratelimit import rate_limit_check

from . import selectors, services
from .email_address import email_change_request
from .forms import (
    EmailChangeForm,
    ProfileForm,
    RegistrationForm,
    TeamQueryForm,
    TeamTreeQueryForm,
    WithdrawalAddressForm,
)
from .models import User
from .tokens import api_token_issue, api_token_revoke, api_tokens_live

TEAM_PAGE_SIZE = 25
TREE_PAGE_SIZE = 50


# Registration and tokens -------------------------------------------------------------------


class ProfileSerializer(serializers.ModelSerializer):
    email_confirmed = serializers.SerializerMethodField()
    sponsor = serializers.SerializerMethodField()
    two_factor_enabled = serializers.SerializerMethodField()
    withdrawal_address_usable_from = serializers.SerializerMethodField(
        help_text="While a new withdrawal address waits out its cooldown: when it can be used.")
    total_invested = AmountField()
    total_earnings = AmountField()

    class Meta:
        model = User
        fields = ["id", "username", "email", "email_confirmed", "first_name", "last_name", "referral_code",
                  "sponsor", "joined_at", "trc20_wallet_address", "withdrawal_address_usable_from",
                  "two_factor_enabled", "total_invested", "total_earnings"]
        read_only_fields = fields

    def get_email_confirmed(self, user: User) -> bool:
        return selectors.user_email_confirmed(user=user)

    def get_sponsor(self, user: User) -> str | None:
        return user.referred_by.username if user.referred_by is not None else None

    def get_two_factor_enabled(self, user: User) -> bool:
        return selectors.two_factor_enabled(user=user)

    def get_withdrawal_address_usable_from(self, user: User) -> str | None:
        until = selectors.withdrawal_cooldown_until(user=user)
        return serializers.DateTimeField().to_representation(until) if until else None


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    referral_code = serializers.CharField(max_length=32, required=False, allow_blank=True, default="",
                                          help_text="The sponsor's referral code.")


class RegisterView(GenericAPIView):
    """Join Phonix under a sponsor's code (the rules of /accounts/register/). Then ask for a token."""

    serializer_class = RegisterSerializer
    permission_classes = [AllowAny]

    @extend_schema(responses={201: ProfileSerializer})
    def post(self, request):
        rate_limit_check(request._request, group="registration", key="ip")
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        form = RegistrationForm({
            "username": data["username"], "email": data["email"], "password1": data["password"],
            "password2": data["password"], "referral_code": data["referral_code"],
        })
        if not form.is_valid():
            form_errors_raise(form, rename={"password1": "password", "password2": "password"})
        try:
            user = form.register(site_url=request.build_absolute_uri("/"))
        except IntegrityError:
            raise exceptions.ValidationError(
                {"username": [_("That username or email was just taken. Please choose another.")]}
            ) from None
        return Response(ProfileSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainSerializer(serializers.Serializer):
    login = serializers.CharField(max_length=254, help_text="Username or e-mail address.")
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    otp = serializers.CharField(max_length=16, required=False, allow_blank=True, default="",
                                help_text="Authenticator or recovery code, when two-factor is on.")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Bearer <token>`. Shown only once.")
    token_key = serializers.CharField(help_text="The token's public prefix, to name it when revoking.")
    expiry = serializers.DateTimeField()


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = gettext_lazy("Too many failed sign-ins. Try again later or reset your password.")

    def __init__(self, *, retry_after: int):
        super().__init__()
        self.retry_after = retry_after


class TwoFactorRequired(exceptions.AuthenticationFailed):
    default_code = "two_factor_required"
    default_detail = gettext_lazy("Two-factor authentication is on: send the code as `otp`.")


class TokenObtainView(GenericAPIView):
    """A new app token for the username or e-mail and password (and the 2FA code when it is on)."""

    serializer_class = TokenObtainSerializer
    permission_classes = [AllowAny]
    authentication_classes = []

    def get_authenticate_header(self, request) -> str:
        return "Bearer"  # a refused sign-in is 401, as for a bad token

    @extend_schema(responses={201: TokenSerializer})
    def post(self, request):
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        page_request = request._request  # what django-axes reads the address and login from
        user = _authenticate(page_request, login=data["login"], password=data["password"])
        if selectors.two_factor_enabled(user=user):
            if not data["otp"]:
                raise TwoFactorRequired()
            rate_limit_check(page_request, group="two_factor", key=f"user:{user.pk}")
            if services.two_factor_verify(user=user, token=data["otp"]) is None:
                raise exceptions.AuthenticationFailed(_("That code is not valid (or was used already)."))
        instance, token = api_token_issue(user=user)
        # As a page sign-in: the lockout's failure count is reset and last_login is set.
        user_logged_in.send(sender=User, request=page_request, user=user)
        return Response(TokenSerializer({"token": token, "token_key": instance.token_key,
                                         "expiry": instance.expiry}).data, status=status.HTTP_201_CREATED)


def _authenticate(page_request, *, login: str, password: str) -> User:
    from axes.exceptions import AxesBackendPermissionDenied

    try:
        user = authenticate(page_request, username=login, password=password)
    except AxesBackendPermissionDenied:
        user = None
        page_request.axes_locked_out = True
    if getattr(page_request, "axes_locked_out", False):
        page_request.axes_locked_out = False  # else AxesMiddleware answers with the lockout page
        raise LockedOut(retry_after=int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if user is None:
        raise exceptions.AuthenticationFailed(_("The login or the password is not correct."))
    return user


class TokenListSerializer(serializers.Serializer):
    token_key = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField()
    current = serializers.SerializerMethodField(help_text="The token this request came with.")

    def get_current(self, token) -> bool:
        return token.token_key == getattr(self.context["request"].auth, "token_key", None)


class TokensView(ListAPIView):
    """The member's live app tokens (their public prefixes; the tokens themselves are never stored)."""

    serializer_class = TokenListSerializer
    pagination_class = None

    def get_queryset(self):
        return api_tokens_live(user=signed_in_user(self.request))


class TokenRevokeView(GenericAPIView):
    """Revoke one of the member's tokens."""

    serializer_class = None

    @extend_schema(responses={204: None})
    def delete(self, request, token_key: str):
        api_token_revoke(user=request.user, token_key=token_key[:32])
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(GenericAPIView):
    """Revoke the token this request came with (or end the browser's session)."""

    serializer_class = None

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        token_key = getattr(request.auth, "token_key", None)
        if token_key:
            api_token_revoke(user=request.user, token_key=token_key)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Profile -----------------------------------------------------------------------------------


class ProfileUpdateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False,
                                  help_text="A new address: confirmed by a link sent to it; needs `password`.")
    password = serializers.CharField(max_length=128, required=False, trim_whitespace=False, write_only=True)


class ProfileView(GenericAPIView):
    """GET: the member's profile. PATCH: names; a new e-mail address with the current password."""

    serializer_class = ProfileSerializer

    def get(self, request):
        return Response(self.get_serializer(fresh_user(request.user)).data)

    @extend_schema(request=ProfileUpdateSerializer, responses=ProfileSerializer)
    def patch(self, request):
        given = ProfileUpdateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data, user = given.validated_data, request.user
        email_form = names_form = None
        if "email" in data:
            rate_limit_check(request._request, group="password_check", key="user")
            email_form = EmailChangeForm({"email": data["email"], "password": data.get("password", "")})
            if not email_form.is_valid():
                form_errors_raise(email_form)
        names = {name: data[name] for name in ("first_name", "last_name") if name in data}
        if names:
            names_form = ProfileForm({"first_name": user.first_name, "last_name": user.last_name, **names},
                                     instance=User.objects.get(pk=user.pk))
            if not names_form.is_valid():
                form_errors_raise(names_form)
        if email_form is not None:  # refused (wrong password, address taken) before the names are saved
            email_change_request(user=user, password=email_form.cleaned_data["password"],
                                 address=email_form.cleaned_data["email"], site_url=request.build_absolute_uri("/"))
        if names_form is not None:
            services.user_profile_update(user=user, first_name=names_form.cleaned_data["first_name"],
                                         last_name=names_form.cleaned_data["last_name"])
        return Response(self.get_serializer(fresh_user(user)).data)


def fresh_user(user: User) -> User:
    return User.objects.select_related("referred_by").get(pk=user.pk)


class WithdrawalAddressSerializer(serializers.Serializer):
    address = serializers.CharField(max_length=64)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    otp = serializers.CharField(max_length=16, required=False, allow_blank=True, default="", write_only=True)


class WithdrawalAddressView(GenericAPIView):
    """Save a new TRC20 withdrawal address (password, and the 2FA code when on; usable after the cooldown)."""

    serializer_class = WithdrawalAddressSerializer

    @extend_schema(responses=ProfileSerializer)
    def post(self, request):
        rate_limit_check(request._request, group="address_change", key="user")
        rate_limit_check(request._request, group="password_check", key="user")
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        form = WithdrawalAddressForm({"address": data["address"], "password": data["password"],
                                      "token": data["otp"]}, user=request.user)
        if not form.is_valid():
            form_errors_raise(form, rename={"token": "otp"})
        services.withdrawal_address_set(user=request.user, address=form.cleaned_data["address"])
        return Response(ProfileSerializer(fresh_user(request.user)).data)


# Team --------------------------------------------------------------------------------------


class TeamStatsSerializer(serializers.Serializer):
    team_size = serializers.IntegerField()
    deepest_level = serializers.IntegerField()
    per_level = serializers.ListField(child=serializers.IntegerField(), help_text="Members at levels 1 to 20.")


class TeamSerializer(serializers.Serializer):
    referral_code = serializers.CharField()
    referral_link = serializers.URLField()
    stats = TeamStatsSerializer()


class TeamView(GenericAPIView):
    """Team statistics and the member's referral code and link."""

    serializer_class = TeamSerializer

    def get(self, request):
        user = request.user
        code = user.referral_code or services.referral_code_issue(user=user)
        return Response(self.get_serializer({
            "referral_code": code, "referral_link": request.build_absolute_uri(reverse("referral_link", args=[code])),
            "stats": selectors.team_stats_cached(user=user),
        }).data)


class TeamMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="member.id")
    username = serializers.CharField(source="member.username")
    level = serializers.IntegerField()
    sponsor = serializers.CharField(source="member.referred_by.username", allow_null=True)
    joined_at = serializers.DateTimeField(source="member.joined_at")
    is_active_investor = serializers.BooleanField(source="member.is_active_investor")
    direct_referrals = serializers.IntegerField(source="member.direct_referrals_count")
    total_invested = AmountField(source="member.total_invested")
    leg_volume = AmountField(help_text="Their own investment plus their whole downline's.")


class TeamMembersPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = TeamMemberSerializer(many=True)


@extend_schema(parameters=form_parameters(TeamQueryForm, exclude=()))
class TeamMembersView(GenericAPIView):
    """The team's members: by level (1 by default; "all"), investor status and username search."""

    serializer_class = TeamMembersPageSerializer

    def get(self, request):
        params = query_form_valid(request, TeamQueryForm, defaults={"level": "1"}).cleaned_data
        found = selectors.team_members_page(user=request.user, params=params, stats=None, page_size=TEAM_PAGE_SIZE)
        page = found["page"]
        return Response(self.get_serializer({
            "count": page.paginator.count, "page": page.number, "pages": page.paginator.num_pages,
            "results": found["rows"],
        }).data)


class TreeMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="member.id")
    username = serializers.CharField(source="member.username")
    level = serializers.IntegerField()
    direct_referrals = serializers.IntegerField(source="member.direct_referrals_count")
    is_active_investor = serializers.BooleanField(source="member.is_active_investor")


class TreeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="node.id")
    username = serializers.CharField(source="node.username")
    children = TreeMemberSerializer(many=True)
    next_offset = serializers.IntegerField(allow_null=True, help_text="Pass as `offset` for more children.")


@extend_schema(parameters=form_parameters(TeamTreeQueryForm))
class TeamTreeView(GenericAPIView):
    """One level of the tree: the direct referrals of the member or of someone in their downline."""

    serializer_class = TreeSerializer

    def get(self, request, member_id: int):
        offset = query_form_valid(request, TeamTreeQueryForm).cleaned_data["offset"] or 0
        tree = selectors.team_tree_children(user=request.user, member_id=member_id, offset=offset,
                                            limit=TREE_PAGE_SIZE)
        if tree is None:
            raise exceptions.NotFound(_("No member with that id in your team."))
        return Response(self.get_serializer({
            "node": tree.node, "children": tree.children,
            "next_offset": offset + TREE_PAGE_SIZE if tree.more else None,
        }).data)
