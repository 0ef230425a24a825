from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from phonix.forms import PlainIntegerField
from phonix.params import QueryForm

from .codes import referral_code_is_wellformed, referral_code_normalise
from .models import User
from .selectors import sponsor_by_code, two_factor_enabled
from .validators import validate_tron_address


class RegistrationForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and . + - _ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    email = forms.EmailField(label=_("Email"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password1 = forms.CharField(label=_("Password"), strip=False, max_length=128,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=password_validation.password_validators_help_text_html())
    password2 = forms.CharField(label=_("Password again"), strip=False, max_length=128,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    referral_code = forms.CharField(label=_("Referral code (optional)"), required=False, max_length=32)

    def clean_username(self) -> str:
        username = User.normalize_username(self.cleaned_data["username"].strip())
        if "@" in username:
            # Sign-in takes a username or an email address; keep the two apart.
            raise forms.ValidationError(_("A username cannot contain @."), code="at")
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("That username is taken."), code="taken")
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email exists already."), code="taken")
        return email

    def clean_referral_code(self) -> User | None:
        code = referral_code_normalise(self.cleaned_data.get("referral_code", ""))
        if not code:
            return None
        if not referral_code_is_wellformed(code):
            raise forms.ValidationError(
                _("A referral code is 10 letters and digits, like 7KQ2MZ4PXH."), code="format"
            )
        sponsor = sponsor_by_code(code=code)
        if sponsor is None:
            raise forms.ValidationError(_("No member has this referral code."), code="unknown")
        return sponsor

    def register(self, *, site_url: str) -> User:
        """Join with what the valid form holds (IntegrityError: the name or e-mail was just taken)."""
        from .services import user_register

        data = self.cleaned_data
        return user_register(username=data["username"], email=data["email"], password=data["password1"],
                             sponsor=data["referral_code"], site_url=site_url)

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            candidate = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username or email"), max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"), max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}),
    )


class ProfileForm(forms.ModelForm):
    """Names only; the e-mail address has its own form (EmailChangeForm)."""

    class Meta:
        model = User
        fields = ["first_name", "last_name"]


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label=_("New e-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(label=_("Current password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class SetPasswordForm(auth_forms.SetPasswordForm):
    """A new password (after a reset link) that starts the withdrawal hold when it is saved."""

    def save(self, commit: bool = True) -> User:
        from .models import Credential
        from .services import credentials_change_record

        user = super().save(commit=commit)
        if commit:
            credentials_change_record(user=user, credential=Credential.PASSWORD)
        return user


class PasswordChangeForm(SetPasswordForm, auth_forms.PasswordChangeForm):
    """The same, for a signed-in member who gives the old password."""


class WithdrawalAddressForm(forms.Form):
    """A new TRC20 withdrawal address, confirmed with the password (and a 2FA code when on)."""

    address = forms.CharField(label=_("TRC20 withdrawal address"), max_length=64,
                              validators=[validate_tron_address])
    password = forms.CharField(label=_("Your password"), strip=False, max_length=128,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    token = forms.CharField(label=_("Code from your authenticator app"), max_length=16, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                          "inputmode": "numeric"}))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.needs_token = two_factor_enabled(user=user)
        if not self.needs_token:
            del self.fields["token"]
        else:
            self.fields["token"].required = True

    def clean_address(self) -> str:
        return self.cleaned_data["address"].strip()

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."), code="password")
        return password

    def clean(self):
        from .services import TwoFactorThrottled, two_factor_verify

        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        if self.needs_token and not self.errors:
            try:
                device = two_factor_verify(user=self.user, token=cleaned.get("token", ""))
            except TwoFactorThrottled as error:
                self.add_error("token", str(error))
            else:
                if device is None:
                    self.add_error("token", _("That code is not valid (or was used already)."))
        return cleaned


class EnableTwoFactorForm(forms.Form):
    token = forms.CharField(label=_("6-digit code from the app"), max_length=6, min_length=6,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                          "inputmode": "numeric"}))


class DisableTwoFactorForm(forms.Form):
    password = forms.CharField(label=_("Your password"), strip=False, max_length=128,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    token = forms.CharField(label=_("Code from your authenticator app, or a recovery code"), max_length=16)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        from .services import TwoFactorThrottled, two_factor_verify

        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        if self.errors:
            return cleaned
        if not self.user.check_password(cleaned["password"]):
            self.add_error("password", _("That is not your password."))
            return cleaned
        try:
            if two_factor_verify(user=self.user, token=cleaned["token"]) is None:
                self.add_error("token", _("That code is not valid (or was used already)."))
        except TwoFactorThrottled as error:
            self.add_error("token", str(error))
        return cleaned


class StaffWithdrawalAddressForm(forms.Form):
    """Staff only (admin): a member's new address and why it is changed."""

    address = forms.CharField(label=_("New TRC20 withdrawal address"), max_length=64,
                              validators=[validate_tron_address])
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_address(self) -> str:
        return self.cleaned_data["address"].strip()


class SponsorChangeForm(forms.Form):
    """Staff only (admin)."""

    new_sponsor = forms.CharField(label=_("New sponsor's username (empty: no sponsor)"), required=False,
                                  max_length=150)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_new_sponsor(self) -> User | None:
        name = self.cleaned_data["new_sponsor"].strip()
        if not name:
            return None
        sponsor = User.objects.filter(username__iexact=name).first()
        if sponsor is None:
            raise forms.ValidationError(_("No member has that username."))
        return sponsor


class TeamQueryForm(QueryForm):
    """/team/ filters. "all" (or empty) means every level; no level at all means level 1."""

    level = forms.ChoiceField(label=_("Level"), required=False,
                              choices=[("all", _("All levels")), *[(str(n), str(n)) for n in range(1, 21)]])
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), ("active", _("Active")), ("inactive", _("Inactive"))])
    q = forms.CharField(label=_("Search"), required=False, max_length=150)


class TeamTreeQueryForm(forms.Form):
    offset = PlainIntegerField(label=_("Offset"), required=False, min_value=0, max_value=10**9)


class ReferralQueryForm(forms.Form):
    """The referral code a link or the registration page carries."""

    ref = forms.CharField(label=_("Referral code"), required=False, max_length=32)
    referral_code = forms.CharField(label=_("Referral code"), required=False, max_length=32)


class TwoFactorResetForm(forms.Form):
    """Staff only (admin)."""

    reason = forms.CharField(label=_("Reason (how the member's identity was checked)"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}))
