from django.contrib import admin

from .models import Block, Card, GuestRegistration, Patron, PatronCategory


class CardInline(admin.TabularInline):
    model = Card
    extra = 0
    readonly_fields = ["issued_at", "deactivated_at"]


class BlockInline(admin.TabularInline):
    model = Block
    extra = 0


@admin.register(Patron)
class PatronAdmin(admin.ModelAdmin):
    list_display = ["__str__", "home_organisation", "category", "expires_on"]
    list_filter = ["home_organisation", "category"]
    search_fields = ["last_name", "first_name", "email", "cards__barcode"]
    inlines = [CardInline, BlockInline]


@admin.register(PatronCategory)
class PatronCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "node", "annual_fee", "is_active"]
    list_filter = ["node"]


@admin.register(GuestRegistration)
class GuestRegistrationAdmin(admin.ModelAdmin):
    list_display = ["patron", "organisation", "category", "expires_on", "ended_at"]
