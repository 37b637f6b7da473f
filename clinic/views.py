from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse

from clinic import access
from clinic.models import CalendarFeed
from clinic.roles import ADMIN


def home(request):
    """After sign-in each role lands on its day: admins in admin, the others on the schedule."""
    user = request.user
    if user.is_staff and (user.is_superuser or user.groups.filter(name=ADMIN).exists()):
        return redirect("admin:index")
    if user.has_perm(access.VIEW_SCHEDULE):
        return redirect("schedule_today")
    return render(request, "clinic/home.html")


FEED_ON = "Your calendar feed is on: add its address to your calendar app."
FEED_REGENERATED = "A new address for your calendar feed: the old one no longer works."
FEED_OFF = "Your calendar feed is off: its address no longer works."


def profile(request):
    """The signed-in user's profile; a clinician turns their private calendar feed on,
    gives it a new secret address (the old one stops working), or turns it off."""
    clinician = access.clinician_of(request.user)
    feed = CalendarFeed.objects.filter(clinician=clinician).first() if clinician else None
    if request.method == "POST":
        if clinician is None:
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "off":
            if feed is not None:
                feed.delete()
            messages.success(request, FEED_OFF)
        elif action == "regenerate" and feed is not None:
            feed.regenerate()
            messages.success(request, FEED_REGENERATED)
        elif feed is None:
            CalendarFeed.objects.create(clinician=clinician)
            messages.success(request, FEED_ON)
        return redirect("profile")
    feed_url = None
    if feed is not None:
        feed_url = request.build_absolute_uri(
            reverse("calendar_feed", args=[clinician.pk, feed.token])
        )
    return render(
        request,
        "clinic/profile.html",
        {"clinician": clinician, "feed": feed, "feed_url": feed_url},
    )


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages without the icon's link (the admin's). The
    address is read per request: in production it names the hashed static file."""
    return HttpResponsePermanentRedirect(static("clinic/favicon.svg"))
