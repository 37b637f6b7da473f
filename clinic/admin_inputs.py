"""Admin pages read ids and dates as the rest of the clinic does (`clinic.inputs`).

Django admin re-renders an autocomplete field with whatever was posted, querying the
database with it (a posted "nan" is a server error there), and reads a date hierarchy's
year from the address without bounds (a year of 2⁶³ overflows); PostgreSQL refuses a
NUL byte in a text filter. `BoundedInputsAdmin` makes these what they are elsewhere: a
field error and a changelist that says its filters could not be read.
"""

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.utils.dateparse import parse_datetime

from clinic import inputs


class _OnlyIds:
    """An autocomplete widget that looks up only values that can be ids."""

    def optgroups(self, name, value, attr=None):
        readable = [v for v in value if v in (None, "") or inputs.as_int(v) is not None]
        return super().optgroups(name, readable, attr)


class IdAutocompleteSelect(_OnlyIds, AutocompleteSelect):
    pass


class IdAutocompleteSelectMultiple(_OnlyIds, AutocompleteSelectMultiple):
    pass


class BoundedChangeList(ChangeList):
    def get_filters(self, request):
        # PostgreSQL's text cannot hold a NUL byte: a filter or search carrying one would
        # be a server error there, and is never something typed.
        for _, values in request.GET.lists():
            if any("\x00" in value for value in values):
                raise IncorrectLookupParameters("a filter holds a NUL character")
        try:
            filters = super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error
        # A date filter's bound is only turned into the database's time when the page is
        # counted: one outside the clinic's calendar would overflow there.
        for _, values in request.GET.lists():
            for value in values:
                moment = _moment(value)
                if moment is not None and not inputs.in_calendar(moment):
                    raise IncorrectLookupParameters(inputs.OUTSIDE_CALENDAR)
        return filters


def _moment(value: str):
    try:
        return parse_datetime(value)
    except ValueError:
        return None


class BoundedInputsAdmin:
    """Mixed into a ModelAdmin before `admin.ModelAdmin`."""

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = IdAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", inputs.IdChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = IdAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", inputs.IdMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def bound_admin_of(site, model) -> None:
    """Give a model registered by another app (sign-in records, users) the same bounds:
    its admin class is registered again with `BoundedInputsAdmin` mixed in."""
    model_admin = site.get_model_admin(model)
    if isinstance(model_admin, BoundedInputsAdmin):
        return
    base = type(model_admin)
    site.unregister(model)
    site.register(model, type(base.__name__, (BoundedInputsAdmin, base), {}))
