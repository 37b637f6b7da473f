from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        from django.db.models.signals import post_migrate

        from clinic.roles import sync_roles

        post_migrate.connect(sync_roles, sender=self)
