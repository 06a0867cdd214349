from django.contrib import admin

from bci.core.admin import ReadOnlyAdmin

from .models import Fee, Hold, Loan, LoanRule


@admin.register(LoanRule)
class LoanRuleAdmin(admin.ModelAdmin):
    """Loan rules are configured here: per node, patron category and material type."""

    list_display = [
        "node",
        "patron_category",
        "material_type",
        "loan_period_days",
        "renewals_allowed",
        "max_items",
        "fine_per_day",
        "fine_cap",
        "fine_free",
    ]
    list_filter = ["patron_category", "material_type", "fine_free"]
    search_fields = ["node__name", "node__code"]
    raw_id_fields = ["node"]


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = ["item", "patron", "branch", "checked_out_at", "due_date", "ended_at"]
    list_filter = ["end_reason"]
    search_fields = ["item__barcode", "card_barcode"]
    raw_id_fields = ["item", "patron", "branch", "return_branch"]
    readonly_fields = ["checked_out_at", "ended_at"]


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ["record", "patron", "pickup_branch", "status", "placed_at", "copy"]
    list_filter = ["status"]
    raw_id_fields = ["record", "item", "patron", "pickup_branch", "placed_at_branch", "copy"]
    readonly_fields = ["copy_reason", "copy_score", "copy_assigned_at"]


@admin.register(Fee)
class FeeAdmin(ReadOnlyAdmin):
    list_display = ["patron", "kind", "amount", "paid", "waived", "created_at", "settled_at"]
    list_filter = ["kind"]
    raw_id_fields = ["patron", "loan", "hold", "item", "organisation"]
    readonly_fields = ["paid", "waived", "settled_at"]
