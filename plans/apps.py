from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Treatment plans"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from clinic.models import Closure, TimeOff
        from plans import booking
        from plans.calendar import WATCHED, WATCHED_M2M, calendar_changed, user_saved

        # Every row the standing calendar is made of renews its token when it changes.
        for model in WATCHED:
            for signal in (post_save, post_delete):
                signal.connect(
                    calendar_changed, sender=model, dispatch_uid=f"calendar_{model.__name__}"
                )
        for field in WATCHED_M2M:
            m2m_changed.connect(
                calendar_changed,
                sender=field.through,
                dispatch_uid=f"calendar_{field.through.__name__}",
            )
        post_save.connect(user_saved, sender=get_user_model(), dispatch_uid="calendar_User")
        # So does every row a plan's safety review is worked out from.
        from plans import safety

        for model in safety.WATCHED:
            for signal in (post_save, post_delete):
                signal.connect(
                    safety.safety_changed, sender=model, dispatch_uid=f"safety_{model.__name__}"
                )
        for field in safety.WATCHED_M2M:
            m2m_changed.connect(
                safety.safety_changed,
                sender=field.through,
                dispatch_uid=f"safety_{field.through.__name__}",
            )
        # However a closure or time off is entered, the bookings it hits are flagged.
        # After the calendar's new token (connected above, so run first): a booking that
        # takes the booking lock after the flagging sees the change even when the change
        # was saved outside a transaction.
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
