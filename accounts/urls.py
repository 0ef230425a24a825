from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from phonix.ratelimit import rate_limited

from . import views
from .forms import PasswordChangeForm, SetPasswordForm

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("register/sponsor/", views.register_sponsor, name="register_sponsor"),
    path("profile/", views.profile, name="profile"),
    path("security/", views.security, name="security"),
    path("email/change/", views.email_change, name="email_change"),
    path("email/resend/", views.email_resend, name="email_resend"),
    path("email/confirm/<str:token>/", views.email_confirm, name="email_confirm"),
    path(
        "password/change/",
        # The old password is checked in the session: limited like every in-session password check.
        rate_limited(group="password_check", key="user")(auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html", form_class=PasswordChangeForm,
            success_url=reverse_lazy("accounts:password_change_done"),
        )),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/email/password_reset.txt",
            subject_template_name="accounts/email/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html", form_class=SetPasswordForm,
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
