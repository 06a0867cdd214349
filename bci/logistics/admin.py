from django.contrib import admin

from bci.accounts.permissions import LOGISTICS_VIEW, can, restrict
from bci.core.admin import ReadOnlyAdmin

from .models import Crate, PlanStop, RoutePlan, Transit


@admin.register(Transit)
class TransitAdmin(admin.ModelAdmin):
    list_display = [
        "item",
        "from_node",
        "to_node",
        "reason",
        "funding",
        "status",
        "crate",
        "created_at",
    ]
    list_filter = ["status", "reason", "funding"]
    search_fields = ["item__barcode", "reference"]
    raw_id_fields = ["item"]


@admin.register(Crate)
class CrateAdmin(admin.ModelAdmin):
    list_display = ["barcode", "home", "status", "destination", "location", "updated_at"]
    list_filter = ["status", "home"]
    search_fields = ["barcode"]


class PlanStopInline(admin.TabularInline):
    model = PlanStop
    fields = [
        "route",
        "seq",
        "node",
        "eta",
        "window_opens",
        "window_closes",
        "deliver",
        "collect",
        "arrived_at",
        "arrived_by",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["route", "seq"]

    def has_view_permission(self, request, obj=None):
        return can(request.user, LOGISTICS_VIEW, obj.depot if obj else None)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RoutePlan)
class RoutePlanAdmin(ReadOnlyAdmin):
    """Plans are made by `bci plan-routes` or the planner's page; drivers' scans fill in
    the arrivals. The admin shows them."""

    list_display = ["depot", "day", "method", "km", "hours", "cost", "crates", "created_at"]
    list_filter = [("depot", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "day"
    search_fields = ["depot__code", "depot__name"]
    exclude = ["map_svg"]
    readonly_fields = ["created_at", "created_by"]
    inlines = [PlanStopInline]

    def get_queryset(self, request):
        plans = super().get_queryset(request).select_related("depot", "created_by")
        return restrict(plans, request.user, LOGISTICS_VIEW, via="depot")

    def has_module_permission(self, request):
        return can(request.user, LOGISTICS_VIEW)

    def has_view_permission(self, request, obj=None):
        return can(request.user, LOGISTICS_VIEW, obj.depot if obj else None)
