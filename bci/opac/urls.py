from django.urls import include, path

from . import views

app_name = "opac"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_results, name="search"),
    path("records/<int:pk>/", views.record_detail, name="record_short"),
    path("records/<int:pk>/<slug:slug>/", views.record_detail, name="record"),
    path("", include("bci.opac.account.urls")),
]
