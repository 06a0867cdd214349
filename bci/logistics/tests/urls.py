"""The project's URLs plus the planner pages (config/urls.py does not mount them yet)."""

from django.urls import include, path

from config.urls import urlpatterns as project

urlpatterns = [path("logistics/", include("bci.logistics.urls")), *project]
