"""Every page shows times in the clinic's own zone, whatever the server's."""

from django.utils import timezone

from clinic.models import ClinicSettings


class ClinicTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            request.clinic = ClinicSettings.load()
            with timezone.override(request.clinic.tz):
                return self.get_response(request)
        return self.get_response(request)
