import pytest


@pytest.fixture
def axes_clock(monkeypatch, clock):
    """Django's own clock held at the clinic's: axes stamps its attempts with Django's
    (`auto_now_add`) and reads it for its cool-off, not `clinic.clock`."""
    import axes.attempts
    import axes.handlers.proxy
    from django.utils import timezone

    def now():
        return clock.now

    for module in (timezone, axes.handlers.proxy, axes.attempts):
        monkeypatch.setattr(module, "now", now)
    return clock
