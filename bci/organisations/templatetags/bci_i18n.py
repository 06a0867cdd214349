"""Template helpers for the language switch."""

from django import template
from django.urls import translate_url

register = template.Library()


@register.simple_tag(takes_context=True)
def translated_path(context, language):
    """The current page's address in ``language`` (e.g. /network/ -> /en/network/).

    Worked out while rendering, where the page's own language resolves the path. Django's
    set_language view cannot always do this itself: it runs under the default language and
    does not recognise /en/... addresses.
    """
    request = context.get("request")
    if request is None:
        return "/"
    return translate_url(request.get_full_path(), language)
