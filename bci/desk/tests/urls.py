"""The project's URLs plus the desk, for tests while config/urls.py does not mount it."""

from django.urls import include, path

from config.urls import urlpatterns as project

urlpatterns = [*project]
if not any(getattr(p, "app_name", None) == "desk" for p in project):
    urlpatterns.append(path("desk/", include("bci.desk.urls")))
