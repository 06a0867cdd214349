"""Patron account URLs, included (without a namespace of their own) by bci/opac/urls.py."""

from django.urls import path

from . import views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/login/", views.login_view, name="account_login"),
    path("account/logout/", views.logout_view, name="account_logout"),
    path("account/pin/", views.change_pin, name="account_pin"),
    path("account/pin/forgot/", views.forgot_pin, name="account_pin_forgot"),
    path("account/pin/reset/<str:token>/", views.reset_pin, name="account_pin_reset"),
    path("account/loans/<int:loan_id>/renew/", views.renew, name="account_renew"),
    path("account/loans/renew-all/", views.renew_all, name="account_renew_all"),
    path("account/holds/<int:hold_id>/cancel/", views.hold_cancel, name="account_hold_cancel"),
    path("account/holds/<int:hold_id>/pickup/", views.hold_pickup, name="account_hold_pickup"),
    path("account/holds/<int:hold_id>/pause/", views.hold_pause, name="account_hold_pause"),
    path("account/hold/<int:record_id>/", views.hold_place, name="account_hold_place"),
    path("account/history/", views.history, name="account_history"),
    path("account/data/", views.my_data, name="account_data"),
    path("account/preferences/", views.preferences, name="account_preferences"),
    path("register/", views.register, name="register"),
]
