"""The three roles of the clinic as auth groups, and what each may do.

Kept in code and synced after every migrate, so a new model's permissions reach the
roles without a hand-written data migration each time.
"""

from django.contrib.auth.models import Group, Permission

CLINICIAN = "Clinician"
RECEPTIONIST = "Receptionist"
ADMIN = "Admin"

# app label -> codenames; "*" means every permission of the app (admins: the audit
# trail's too, `view_historical<model>`).
ROLE_PERMISSIONS: dict[str, dict[str, set[str] | str]] = {
    ADMIN: {
        "clinic": "*",
        "plans": "*",
        "patients": "*",
        # Unlocking a locked-out sign-in is deleting its access attempt.
        "axes": {"view_accessattempt", "delete_accessattempt", "view_accesslog"},
        # Removing a lost phone's authenticator, so its owner can set up a new one.
        "otp_totp": {"view_totpdevice", "delete_totpdevice"},
    },
    CLINICIAN: {
        "clinic": {
            "view_treatmentarea",
            "view_product",
            "view_productbatch",
            "view_method",
            "view_room",
            "view_clinician",
            "view_closure",
            "view_contraindication",
            "view_consentform",
            "view_consentformversion",
        },
        "patients": {
            "view_patient",
            "add_patient",
            "change_patient",
            "view_screening",
            "add_screening",
            "change_screening",
            "view_signedconsent",
            "add_signedconsent",
            # The audit trail of the medical record (reception has none of it).
            "view_historicalpatient",
            "view_historicalscreening",
        },
        "plans": {
            "view_protocol",
            "view_treatmentplan",
            "add_treatmentplan",
            "change_treatmentplan",
            "view_session",
            "change_session",
            "view_appointment",
            "change_appointment",
            "record_treatment",
            "override_contraindication",
            "view_historicalprotocol",
            "view_historicaltreatmentplan",
            "view_historicalsession",
            "view_historicalappointment",
            "view_historicalproductuse",
        },
    },
    RECEPTIONIST: {
        "clinic": {"view_room", "view_clinician", "view_closure"},
        "patients": {"view_patient", "add_patient", "change_patient"},
        "plans": {
            "view_protocol",
            "view_treatmentplan",
            "view_session",
            "change_session",
            "view_appointment",
            "change_appointment",
        },
    },
}


def sync_roles(**kwargs) -> None:
    """Create the role groups and give each exactly its permissions."""
    for role, apps in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = Permission.objects.none()
        for app_label, codenames in apps.items():
            perms = Permission.objects.filter(content_type__app_label=app_label)
            if codenames != "*":
                perms = perms.filter(codename__in=codenames)
            wanted = wanted | perms
        group.permissions.set(wanted)
