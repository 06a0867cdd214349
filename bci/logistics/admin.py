from django.contrib import admin

from .models import Crate, Transit


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
