from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from bci.core.errors import DomainError

from .models import Notice, NoticeTemplate, SelfRegistration
from .selfservice import reject_self_registration


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
