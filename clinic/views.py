from django.shortcuts import render

from clinic.roles import ADMIN, CLINICIAN, RECEPTIONIST


def home(request):
    roles = set(request.user.groups.values_list("name", flat=True))
    return render(
        request,
        "clinic/home.html",
        {
            "is_clinician": CLINICIAN in roles,
            "is_receptionist": RECEPTIONIST in roles,
            "is_admin": ADMIN in roles or request.user.is_superuser,
        },
    )
