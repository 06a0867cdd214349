from django.urls import include, path

from . import views, views_reports

app_name = "logistics"
urlpatterns = [
    path("", views.depots, name="depots"),
    path("crates/<str:barcode>/", views.packing_slip, name="packing_slip"),
    path("kpis/", views_reports.kpi_page, name="kpis"),
    path("overdue/", views_reports.overdue_page, name="overdue"),
    path("transits/<int:pk>/", views_reports.transit_page, name="transit"),
    path("national-ibl/", include("bci.logistics.national.urls")),
    path("<str:code>/<str:date>/", views.depot_day, name="day"),
    path("<str:code>/<str:date>/plan/", views.make_plan, name="plan"),
    path("<str:code>/<str:date>/van-<int:number>/", views.driver_sheet, name="sheet"),
]
