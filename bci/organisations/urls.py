from django.urls import path

from . import views

app_name = "organisations"
urlpatterns = [
    path("", views.network_overview, name="network"),
    path("<str:code>/", views.branch_detail, name="branch"),
]
