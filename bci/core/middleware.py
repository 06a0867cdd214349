"""Language for machine doors.

Pages carry their language in the URL (/en/... or Dutch without a prefix), so Django's
LocaleMiddleware picks Dutch for every unprefixed path. The REST API has no language
prefix: there the client's Accept-Language header decides (Dutch when it asks nothing).
"""

from django.utils import translation

MACHINE_PREFIXES = ("/api/",)


class ApiLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(MACHINE_PREFIXES):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if request.path_info.startswith(MACHINE_PREFIXES):
            response.headers["Content-Language"] = request.LANGUAGE_CODE
        return response


class LanguageCookieMiddleware:
    """Keep a visitor's chosen language on addresses typed without a language prefix.

    Pages carry their language in the URL (/en/network/), so an unprefixed address is
    always Dutch. A visitor who chose English (the ``django_language`` cookie) and types
    /network/ is redirected to /en/network/. Only for GET and HEAD on pages.
    """

    SKIP = ("/api/", "/i18n/", "/static/", "/sru", "/oai")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.http import HttpResponseRedirect
        from django.urls import translate_url

        wanted = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if (
            request.method in ("GET", "HEAD")
            and wanted
            and wanted != settings.LANGUAGE_CODE
            and wanted in dict(settings.LANGUAGES)
            and not request.path_info.startswith(self.SKIP)
            and not translation.get_language_from_path(request.path_info)
        ):
            target = translate_url(request.get_full_path(), wanted)
            if target != request.get_full_path():
                return HttpResponseRedirect(target)
        return self.get_response(request)
