"""System checks for settings that would leave the clinic open in production."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def two_factor_required(app_configs, **kwargs):
    if settings.CLINIC_REQUIRE_TWO_FACTOR:
        return []
    return [
        Warning(
            "CLINIC_REQUIRE_TWO_FACTOR is off: admins can sign in without a second factor.",
            hint="Only the demo turns it off; unset it (or set it to true) in production.",
            id="clinic.W001",
        )
    ]
