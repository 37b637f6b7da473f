"""Two-factor sign-in (TOTP, django-otp): who must use it, and each user's own page to set
up an authenticator app or remove it.

Anyone may set one up. Admins (staff and superusers) must, and so must whoever reads
medical data (clinicians) when the clinic turns `ClinicSettings.two_factor_for_clinicians`
on. A user with a confirmed device gives its code after the password at every sign-in
(`clinic.signin`); one who must have a device and has none is sent here before any other
page (`clinic.middleware.TwoFactorMiddleware`). `CLINIC_REQUIRE_TWO_FACTOR=false` (the
demo, `make run`) lifts the requirement, never the code of a user who has a device.

A device counts once confirmed with a code from the app; removing it asks for a code too,
so nobody at a computer left signed in can turn it off. Wrong codes are slowed down by
django-otp's throttling and count as failed sign-ins for the lockout.
"""

from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import access
from clinic.forms import CodeForm

WRONG_CODE = "That code is not the one your app shows now. Type the 6 digits it shows."
TURNED_ON = "Two-factor sign-in is on: after your password you now give a code from your app."
WAIT = "Too many wrong codes in a row: wait a few seconds, then type the code your app shows."
TURNED_OFF = "Two-factor sign-in is off for your account."


def required_for(user, clinic) -> bool:
    """Whether `user` must sign in with a second factor at this clinic (no query unless the
    clinic requires it of clinicians: then the user's permissions, cached for the request)."""
    if not settings.CLINIC_REQUIRE_TWO_FACTOR:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return clinic.two_factor_for_clinicians and access.sees_clinical(user)


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def code_error(device: TOTPDevice, code: str) -> str | None:
    """What is wrong with a code for the device, or None when it is right. The device is
    locked meanwhile, so one code is never accepted twice; after a wrong code, django-otp
    refuses any for a second, then 2, 4, 8... (throttling)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_is_allowed()[0]:
            return WAIT
        return None if device.verify_token(code) else WRONG_CODE


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's setup address as an SVG QR code: segno writes only paths and numbers,
    no text of ours, and no style attribute the Content-Security-Policy would refuse."""
    return mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=5, border=2))


def grouped_key(device: TOTPDevice) -> str:
    """The secret as the apps ask for it when typed by hand: base32, in groups of four."""
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@require_http_methods(["GET", "POST"])
def two_factor(request):
    """The user's own two-factor page: set up (start, scan, confirm with a code) or remove."""
    user = request.user
    device = confirmed_device(user)
    draft = None if device else TOTPDevice.objects.filter(user=user, confirmed=False).first()
    form = CodeForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "start" and device is None:
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
            return redirect(_here(request))
        form = CodeForm(request.POST)
        if action == "confirm" and draft is not None and form.is_valid():
            if not (error := code_error(draft, form.cleaned_data["code"])):
                TOTPDevice.objects.filter(pk=draft.pk).update(confirmed=True)
                draft.confirmed = True
                django_otp.login(request, draft)
                messages.success(request, TURNED_ON)
                return redirect(_next(request) or "two_factor")
            form.add_error("code", error)
        elif action == "remove" and device is not None and form.is_valid():
            if not (error := code_error(device, form.cleaned_data["code"])):
                TOTPDevice.objects.filter(user=user).delete()
                messages.success(request, TURNED_OFF)
                return redirect("two_factor")
            form.add_error("code", error)
    context = {
        "device": device,
        "draft": draft,
        "form": form,
        "required": required_for(user, request.clinic),
        "next": _next(request),
    }
    if draft is not None:
        context |= {"qr_code": qr_code_svg(draft), "key": grouped_key(draft)}
    return render(request, "clinic/two_factor.html", context)


def _here(request) -> str:
    target = _next(request)
    return reverse("two_factor") + (f"?{urlencode({'next': target})}" if target else "")
