from django.shortcuts import redirect, render

from clinic import access
from clinic.roles import ADMIN


def home(request):
    """After sign-in each role lands on its day: admins in admin, the others on the schedule."""
    user = request.user
    if user.is_staff and (user.is_superuser or user.groups.filter(name=ADMIN).exists()):
        return redirect("admin:index")
    if user.has_perm(access.VIEW_SCHEDULE):
        return redirect("schedule_today")
    return render(request, "clinic/home.html")
