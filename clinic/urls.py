from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic import signin, two_factor, views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon),
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
