"""Signing in: the password, then the authenticator's code for users who have one; the
lockout after failed attempts; the password reset by email.

- The password step is Django's `LoginView`. A user with a confirmed device is not signed
  in yet: who they are, the page to go to next and when the password was given are kept in
  the session, and the code step signs them in (the session key is renewed then, as for
  any sign-in). The code must follow within `CODE_STEP_MINUTES`.
- Lockout is django-axes (settings "Sign-in"): 5 failures for a user name from one address
  lock that pair for 15 minutes. A wrong code counts as a failure too, so the second step
  cannot be guessed at leisure. A locked-out attempt gets the sign-in page back with the
  time it may try again (`locked_out`, axes' lockout response), status 429. An admin
  unlocks by deleting the access attempt in Django admin, or with `manage.py
  axes_reset_username <name>`.
- Password reset is Django's four views. The link of the email proves the mailbox, so a
  new password also lifts the lockout of that user name from the computer that set it;
  it never signs in by itself (`post_reset_login` stays off), so the new password still
  goes through the lockout and the code step.
- Django admin's own sign-in page is not an entrance: it sends to this one.
"""

import ipaddress

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from clinic import clock, two_factor
from clinic.forms import CodeForm
from clinic.models import ClinicSettings

CODE_STEP_MINUTES = 5
PENDING = "signin_pending"
LOCKED_OUT = (
    "Signing in as “{username}” from this computer is locked after {limit} failed attempts. "
    "Try again after {until}, or ask an admin to unlock it."
)
CODE_STEP_EXPIRED = "Sign in again: the code must follow the password within 5 minutes."


class LoginView(auth_views.LoginView):
    """The password step; users with an authenticator go on to the code step."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if two_factor.confirmed_device(user) is None:
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "at": clock.now().timestamp(),
        }
        return redirect("login_code")


def _pending_user(request):
    pending = request.session.get(PENDING)
    if not pending:
        return None, None
    age = clock.now().timestamp() - pending["at"]
    if not 0 <= age <= CODE_STEP_MINUTES * 60:
        del request.session[PENDING]
        return None, None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or two_factor.confirmed_device(user) is None:
        del request.session[PENDING]  # made inactive, or the device removed, meanwhile
        return None, None
    return user, pending


@login_not_required
@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request):
    """The code step: the password was right; the authenticator's code signs in."""
    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, CODE_STEP_EXPIRED)
        return redirect("login")
    device = two_factor.confirmed_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not (error := two_factor.code_error(device, form.cleaned_data["code"])):
            del request.session[PENDING]
            auth_login(request, user, backend=pending["backend"])
            django_otp.login(request, device)
            return redirect(pending["next"])
        form.add_error("code", error)
        user_login_failed.send(
            sender=__name__, credentials={"username": user.get_username()}, request=request
        )
        if getattr(request, "axes_locked_out", False):
            del request.session[PENDING]  # back to the password, once the lockout is over
    return render(request, "registration/login_code.html", {"form": form})


def client_address(request) -> str | None:
    """The address a sign-in comes from, for the lockout. Behind `CLINIC_TRUSTED_PROXIES`
    proxies it is the one the outermost trusted proxy saw (X-Forwarded-For, counted from
    the right); otherwise the connection's, so a made-up header changes nothing."""
    proxies = settings.CLINIC_TRUSTED_PROXIES
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if proxies and len(forwarded) >= proxies:
        try:
            return str(ipaddress.ip_address(forwarded[-proxies]))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")


def locked_out(request, original_response=None, credentials=None):
    """Axes' lockout response: the sign-in page, saying until when and what else to do."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    last = AccessAttempt.objects.filter(username=username, ip_address=address).aggregate(
        last=Max("attempt_time")
    )["last"]
    until = (last or clock.now()) + settings.AXES_COOLOFF_TIME
    until = timezone.localtime(until, ClinicSettings.load().tz)
    message = LOCKED_OUT.format(
        username=username, limit=settings.AXES_FAILURE_LIMIT, until=f"{until:%H:%M}"
    )
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "lockout": message,
        "next": request.POST.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, lifting this computer's lockout of the user name once the password is new."""

    def form_valid(self, form):
        response = super().form_valid(form)
        AxesProxyHandler.reset_attempts(
            username=self.user.get_username(), ip_address=get_client_ip_address(self.request)
        )
        return response


@login_not_required
def admin_login(request):
    """Django admin's sign-in page sends to the clinic's, which asks for the code too."""
    if request.user.is_authenticated:
        return redirect("home")  # signed in without access to admin
    return auth_views.redirect_to_login(request.GET.get("next", "/admin/"))
