"""Display labels for the public catalogue templates: ``{% load opac %}``."""

from django import template

from bci.opac.queries.labels import AUDIENCE_LABELS, MATERIAL_LABELS, SCHEME_LABELS

register = template.Library()


@register.filter
def material_label(code):
    return MATERIAL_LABELS.get(code, code)


@register.filter
def audience_label(code):
    return AUDIENCE_LABELS.get(code, code)


@register.filter
def scheme_label(code):
    return SCHEME_LABELS.get(code, code)
