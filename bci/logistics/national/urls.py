"""Pages under /logistics/national-ibl/ (namespace ``logistics:national``)."""

from django.urls import path

from . import views

app_name = "national"
urlpatterns = [
    path("", views.shipments, name="list"),
    path("send/", views.send, name="send"),
    path("request/", views.request_in, name="request"),
    path("scan/", views.scan, name="scan"),
    path("<str:barcode>/", views.slip, name="slip"),
    path("<str:barcode>/cancel/", views.cancel, name="cancel"),
]
