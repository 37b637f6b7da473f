from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from clinic import signin, two_factor, views

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico on pages without the icon's link (the admin's).
    path(
        "favicon.ico",
        login_not_required(RedirectView.as_view(url=static("clinic/favicon.svg"), permanent=True)),
    ),
    path("login/", signin.LoginView.as_view(), name="login"),
    path("login/code/", signin.login_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url="/"),
        name="password_change",
    ),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        signin.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("account/two-factor/", two_factor.two_factor, name="two_factor"),
    path("account/profile/", views.profile, name="profile"),
    path("admin/login/", signin.admin_login),
    path("admin/", admin.site.urls),
    path("", include("plans.urls")),
    path("", include("patients.urls")),
]
