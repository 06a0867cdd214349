"""Protocol endpoints outside the language prefix: /sru and /oai."""

from django.urls import path

from .oaipmh.views import oai

urlpatterns = [
    path("oai", oai, name="oai"),
]
