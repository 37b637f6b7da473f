"""The rebooking worklist's count, for the navigation (one query, on pages that show it)."""

from django import template

from plans import selectors

register = template.Library()


@register.simple_tag
def rebooking_count() -> int:
    return selectors.rebooking_count()
