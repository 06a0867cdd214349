"""The SRU door: GET (and form-encoded POST) at /sru."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .protocol import respond


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def sru(request):
    params = request.POST if request.method == "POST" else request.GET
    arguments = {name: values for name, values in params.lists()}
    body = respond(arguments, base_url=request.build_absolute_uri(request.path))
    return HttpResponse(body, content_type="text/xml; charset=utf-8")
