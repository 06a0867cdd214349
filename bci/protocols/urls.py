"""Protocol endpoints outside the language prefix: /sru and /oai."""

from django.urls import path

from .oaipmh.views import oai
from .sru.views import sru

urlpatterns = [
    path("oai", oai, name="oai"),
    path("sru", sru, name="sru"),
]
