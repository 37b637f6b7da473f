from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Treatment plans"

    def ready(self):
        from django.db.models.signals import post_save

        from clinic.models import Closure, TimeOff
        from plans import booking

        # However a closure or time off is entered, the bookings it hits are flagged.
        post_save.connect(
            lambda instance, **kw: booking.flag_bookings_in_closure(instance),
            sender=Closure,
            weak=False,
            dispatch_uid="flag_bookings_in_closure",
        )
        post_save.connect(
            lambda instance, **kw: booking.flag_bookings_in_time_off(instance),
            sender=TimeOff,
            weak=False,
            dispatch_uid="flag_bookings_in_time_off",
        )
