from django.contrib import admin

from .models import Identifier, ImportRun, Item, MergeLog, Record


class IdentifierInline(admin.TabularInline):
    model = Identifier
    extra = 0


class ItemInline(admin.TabularInline):
    model = Item
    extra = 0
    fields = ("barcode", "owner", "home_branch", "shelf_code", "status")
    readonly_fields = ("status",)  # status changes go through services.change_item_status
    raw_id_fields = ("owner", "home_branch")
    show_change_link = True


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    list_display = ("title", "main_author", "year", "material_type", "language", "deleted_at")
    list_filter = ("material_type", "audience", "language")
    search_fields = ("title", "main_author", "identifiers__value")
    readonly_fields = ("marc", "marc_hash", "match_key", "richness", "merged_into")
    inlines = [IdentifierInline, ItemInline]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("barcode", "record", "owner", "home_branch", "status", "shelf_code")
    list_filter = ("status", "material_type")
    search_fields = ("barcode", "record__title")
    raw_id_fields = ("record", "owner", "home_branch", "current_location")
    readonly_fields = ("status", "status_changed_at")


@admin.register(MergeLog)
class MergeLogAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "merged_at",
        "matched_on",
        "match_value",
        "survivor",
        "merged",
        "undone_at",
    )
    list_filter = ("matched_on",)
    raw_id_fields = ("survivor", "merged")
    readonly_fields = ("survivor_marc_before",)


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("file_name", "library", "started_at", "finished_at", "records_done")
    readonly_fields = ("summary",)
    list_filter = (("finished_at", admin.EmptyFieldListFilter),)
