from django.urls import path

from . import views

app_name = "desk"
urlpatterns = [
    path("", views.home, name="home"),
    path("patrons/", views.patron_search, name="patron_search"),
    path("patrons/<int:pk>/", views.patron_detail, name="patron"),
    path("<str:code>/checkout/", views.checkout, name="checkout"),
    path("<str:code>/checkin/", views.checkin, name="checkin"),
    path("<str:code>/pick-list/", views.pick_list, name="pick_list"),
    path("<str:code>/hold-shelf/", views.hold_shelf, name="hold_shelf"),
    path("<str:code>/transits/", views.transits, name="transits"),
]
