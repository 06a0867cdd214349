from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("", include("bci.protocols.urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("network/", include("bci.organisations.urls")),
    path("desk/", include("bci.desk.urls")),
    path("logistics/", include("bci.logistics.urls")),
    path("", include("bci.opac.urls")),
    prefix_default_language=False,
)
