"""What every request of a signed-in user goes through: the clinic's time zone, the limits
of a session on a shared computer, and the second factor where it is required."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from clinic import clock, two_factor
from clinic.models import ClinicSettings

# A session ends this long after sign-in, however active (ClinicSettings holds the idle limit).
MAX_SESSION_HOURS = 12
# The last-activity stamp is renewed at most this often, so a page does not write the
# session each time; the idle limit is kept to within this.
STAMP_EVERY_SECONDS = 60
SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
SIGNED_OUT_IDLE = (
    "You were signed out after {minutes} minutes without activity. Sign in again to continue."
)
SIGNED_OUT_MAX = "You were signed out 12 hours after signing in. Sign in again to continue."
SIGN_IN_WITH_CODE = "Sign in again, with the code from your authenticator app."


class ClinicTimeZoneMiddleware:
    """Every page shows times in the clinic's own zone, whatever the server's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            request.clinic = ClinicSettings.load()
            with timezone.override(request.clinic.tz):
                return self.get_response(request)
        return self.get_response(request)


def stamp_sign_in(sender, request, user, **kwargs):
    """`user_logged_in` receiver: the session's clock starts at sign-in."""
    now = clock.now().timestamp()
    request.session[SIGNED_IN_AT] = request.session[SEEN_AT] = now


def session_end(signed_in_at: float, seen_at: float, now: float, idle_minutes: int):
    """Why a session stamped so must end at `now` (a message), or None while it may go on."""
    if now - signed_in_at > MAX_SESSION_HOURS * 3600:
        return SIGNED_OUT_MAX
    if now - seen_at > idle_minutes * 60:
        return SIGNED_OUT_IDLE.format(minutes=idle_minutes)
    return None


class SessionLimitsMiddleware:
    """Front-desk computers are shared: a session ends after the clinic's minutes without
    activity and 12 hours after sign-in, and the user is sent to sign in again, told why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            session, now = request.session, clock.now().timestamp()
            # A session from before these limits starts its clock now.
            signed_in_at = session.setdefault(SIGNED_IN_AT, now)
            seen_at = session.setdefault(SEEN_AT, now)
            clinic = getattr(request, "clinic", None) or ClinicSettings.load()
            reason = session_end(signed_in_at, seen_at, now, clinic.idle_sign_out_minutes)
            if reason:
                logout(request)
                messages.info(request, reason)
                return _to_sign_in(request)
            if now - seen_at >= STAMP_EVERY_SECONDS:
                session[SEEN_AT] = now
        return self.get_response(request)


class TwoFactorMiddleware:
    """A user who must use a second factor (`clinic.two_factor.required_for`) and is not
    verified in this session is sent to set one up, or to sign in again with its code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        # The sign-in pages, the two-factor page itself and signing out stay open.
        if not getattr(view_func, "login_required", True):
            return None
        if request.resolver_match.url_name in {"two_factor", "logout"}:
            return None
        clinic = getattr(request, "clinic", None) or ClinicSettings.load()
        if not two_factor.required_for(user, clinic):
            return None
        if two_factor.confirmed_device(user) is not None:
            # Signed in by a way that asked no code (a session from before the device).
            logout(request)
            messages.info(request, SIGN_IN_WITH_CODE)
            return _to_sign_in(request)
        target = reverse("two_factor") + "?" + urlencode({"next": _next_path(request)})
        return _redirect(request, target)


def _next_path(request) -> str:
    # Come back to the page, not to an htmx fragment or a form's action.
    if request.htmx and request.htmx.current_url_abs_path:
        return request.htmx.current_url_abs_path
    return request.get_full_path() if request.method == "GET" else request.path


def _to_sign_in(request):
    return _redirect(request, redirect_to_login(_next_path(request))["Location"])


def _redirect(request, url: str):
    # An htmx request would swap the sign-in page into a fragment: move the whole page.
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)
