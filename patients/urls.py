from django.urls import path

from patients import views

urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_new, name="patient_new"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/history/", views.patient_history, name="patient_history"),
    path("patients/<int:pk>/screening/", views.screening_detail, name="screening_detail"),
    path("patients/<int:pk>/screening/new/", views.screening_new, name="screening_new"),
    path(
        "patients/<int:pk>/consents/<int:version_pk>/sign/",
        views.consent_new,
        name="consent_new",
    ),
    path("consents/<int:pk>/<str:which>/", views.consent_file, name="consent_file"),
]
