from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from clinic import checks  # noqa: F401  (registers them)
        from clinic.middleware import stamp_sign_in
        from clinic.roles import sync_roles

        post_migrate.connect(sync_roles, sender=self)
        user_logged_in.connect(stamp_sign_in)
