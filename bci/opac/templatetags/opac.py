"""Display labels for the public catalogue templates: ``{% load opac %}``."""

from django import template

from bci.opac import queries

register = template.Library()


@register.filter
def material_label(code):
    return queries.MATERIAL_LABELS.get(code, code)


@register.filter
def audience_label(code):
    return queries.AUDIENCE_LABELS.get(code, code)


@register.filter
def scheme_label(code):
    return queries.SCHEME_LABELS.get(code, code)
