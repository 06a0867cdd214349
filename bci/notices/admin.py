from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from bci.accounts.permissions import PATRONS_CHANGE, PATRONS_VIEW, can
from bci.core.errors import DomainError
from bci.patrons.queries import visible_patrons

from .models import Notice, NoticeTemplate, PatronPin, SelfRegistration
from .selfservice import reject_self_registration, reset_pin


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    list_display = ["organisation", "kind", "language", "subject"]
    list_filter = ["kind", "language"]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "patron", "kind", "subject", "status"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["patron"]
    readonly_fields = [f.name for f in Notice._meta.fields]


@admin.register(SelfRegistration)
class SelfRegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "last_name",
        "first_name",
        "birthdate",
        "organisation",
        "status",
        "possible_duplicate",
    ]
    list_filter = ["status", "organisation"]
    search_fields = ["last_name", "email"]
    actions = ["reject"]

    @admin.action(description=_("Reject the selected registrations"))
    def reject(self, request, queryset):
        for reg in queryset:
            try:
                reject_self_registration(registration=reg, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{reg}: {exc}", messages.ERROR)


@admin.register(PatronPin)
class PatronPinAdmin(admin.ModelAdmin):
    """Desk: find a patron (name or card number) and give them a new random PIN."""

    list_display = ["__str__", "home_organisation", "expires_on"]
    search_fields = ["last_name", "first_name", "cards__barcode"]
    fields = ["first_name", "last_name", "home_organisation"]
    readonly_fields = fields
    actions = ["reset_pin"]

    def get_queryset(self, request):
        ids = visible_patrons(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=ids)

    def has_module_permission(self, request):
        return can(request.user, PATRONS_VIEW)

    def has_view_permission(self, request, obj=None):
        return can(request.user, PATRONS_VIEW, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Give the selected patrons a new PIN"))
    def reset_pin(self, request, queryset):
        for patron in queryset:
            if not can(request.user, PATRONS_CHANGE, patron):
                self.message_user(
                    request, _("%(patron)s: not allowed.") % {"patron": patron}, messages.ERROR
                )
                continue
            pin = reset_pin(patron=patron, by=request.user)
            self.message_user(
                request,
                _("%(patron)s: new PIN %(pin)s (tell the patron; it is not shown again).")
                % {"patron": patron, "pin": pin},
                messages.WARNING,
            )
