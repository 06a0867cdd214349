from django.contrib import admin

from .models import Transit


@admin.register(Transit)
class TransitAdmin(admin.ModelAdmin):
    list_display = ["item", "from_node", "to_node", "reason", "funding", "status", "created_at"]
    list_filter = ["status", "reason", "funding"]
    search_fields = ["item__barcode", "reference"]
    raw_id_fields = ["item"]
