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
