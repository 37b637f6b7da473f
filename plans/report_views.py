"""Reports for clinicians. Traceable products: which patients received a product lot, and
when, from the treatment records, for a product recall; on the page and as CSV."""

import csv
import re

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from clinic import access
from clinic.models import ProductBatch
from plans import selectors
from plans.forms import LotSearchForm

# What a spreadsheet would run as a formula if a cell began with it (a phone number's
# "+33" included): such cells are written with a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = [
    "Date",
    "Time",
    "Patient",
    "Date of birth",
    "Phone",
    "Email",
    "Clinician",
    "Product",
    "Lot",
    "Expiry",
    "Quantity (ml)",
]


def _grouped(batches, uses):
    by_batch = {batch.pk: [] for batch in batches}
    for use in uses:
        by_batch[use.batch_id].append(use)
    return [(batch, by_batch[batch.pk]) for batch in batches]


@require_GET
def lot_report(request: HttpRequest) -> HttpResponse:
    access.require(request.user, access.VIEW_CLINICAL)
    form = LotSearchForm(request.GET or None)
    batches = selectors.lot_batches(form.cleaned_data["lot"]) if form.is_valid() else []
    uses = selectors.lot_uses([batch.pk for batch in batches])
    return render(
        request,
        "plans/lot_report.html",
        {
            "form": form,
            "found": _grouped(batches, uses),
            "searched": form.is_bound,
            "nav": "reports",
        },
    )


def _batch(pk: int) -> ProductBatch:
    return get_object_or_404(selectors.batches_with_treatments(), pk=pk)


@require_GET
def lot_report_batch(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(request.user, access.VIEW_CLINICAL)
    batch = _batch(pk)
    return render(
        request,
        "plans/lot_report.html",
        {
            "form": LotSearchForm(initial={"lot": batch.lot_number}),
            "found": _grouped([batch], selectors.lot_uses([batch.pk])),
            "searched": True,
            "one_batch": True,
            "nav": "reports",
        },
    )


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@require_GET
def lot_report_csv(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(request.user, access.VIEW_CLINICAL)
    batch = _batch(pk)
    tz = request.clinic.tz
    filename = "lot-" + re.sub(r"[^A-Za-z0-9._-]+", "-", batch.lot_number) + ".csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    response.write("\ufeff")  # so that a spreadsheet reads the accents as UTF-8
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for use in selectors.lot_uses([batch.pk]):
        appointment = use.appointment
        patient = appointment.patient
        held = appointment.starts_at.astimezone(tz)
        writer.writerow(
            _cell(value)
            for value in (
                held.date().isoformat(),
                f"{held:%H:%M}",
                str(patient),
                patient.date_of_birth.isoformat(),
                patient.phone,
                patient.email,
                str(appointment.clinician),
                str(batch.product),
                batch.lot_number,
                batch.expiry_date.isoformat(),
                use.quantity_ml,
            )
        )
    return response
