"""National IBL shipments in the admin: read-only, they change only through the services
(the staff pages, the API, scans). Registered from ``LogisticsConfig.ready``."""

from django.contrib import admin

from bci.accounts.permissions import LOGISTICS_VIEW, can, restrict
from bci.core.admin import ReadOnlyAdmin

from ..models import NationalShipment


@admin.register(NationalShipment)
class NationalShipmentAdmin(ReadOnlyAdmin):
    list_display = [
        "outbound_barcode",
        "return_barcode",
        "direction",
        "status",
        "partner_isil",
        "location",
        "item",
        "cost",
        "created_at",
    ]
    list_filter = ["direction", "status"]
    search_fields = ["outbound_barcode", "return_barcode", "partner_isil", "item__barcode"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("location", "item")
        return restrict(rows, request.user, LOGISTICS_VIEW, via="location")

    def has_module_permission(self, request):
        return can(request.user, LOGISTICS_VIEW)

    def has_view_permission(self, request, obj=None):
        return can(request.user, LOGISTICS_VIEW, obj)
