"""Text messages: one small interface, a backend chosen by `CLINIC_SMS_BACKEND`.

`console` (the default) prints the message, as Django's console email backend does;
`twilio` sends it with Twilio's client library, configured from the environment
(`TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, `TWILIO_FROM_NUMBER`). The tests use
`memory`, which keeps what was sent in `outbox`.
"""

import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

outbox: list[tuple[str, str]] = []  # (to, text) sent by the memory backend


def send(to: str, text: str) -> None:
    """Send `text` to the phone number `to` through the configured backend."""
    backend = settings.CLINIC_SMS_BACKEND
    if backend == "console":
        sys.stdout.write(f"SMS to {to}: {text}\n")
    elif backend == "memory":
        outbox.append((to, text))
    elif backend == "twilio":
        _twilio(to, text)
    else:
        raise ImproperlyConfigured(f"Unknown CLINIC_SMS_BACKEND {backend!r}")


def _twilio(to: str, text: str) -> None:
    from twilio.rest import Client

    sid, token, sender = (
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        settings.TWILIO_FROM_NUMBER,
    )
    if not (sid and token and sender):
        raise ImproperlyConfigured(
            "CLINIC_SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
            "TWILIO_FROM_NUMBER"
        )
    Client(sid, token).messages.create(to=to, from_=sender, body=text)
