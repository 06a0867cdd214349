import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from bci.accounts.permissions import PATRONS_CHANGE, PATRONS_VIEW, can
from bci.core.errors import DomainError
from bci.patrons.queries import visible_patrons

from .models import Notice, NoticeTemplate, PatronPin, SelfRegistration
from .selfservice import reject_self_registration, reset_pin, verify_self_registration


class VerifyForm(forms.Form):
    category = forms.ModelChoiceField(label=_("subscription"), queryset=None)
    card_barcode = forms.CharField(label=_("card number"), max_length=32)
    expires_on = forms.DateField(
        label=_("membership expires"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, registration, **kwargs):
        super().__init__(*args, **kwargs)
        from bci.patrons.models import PatronCategory

        org = registration.organisation
        self.fields["category"].queryset = PatronCategory.objects.filter(
            node_id__in=org.ancestor_ids(), is_active=True
        )
        self.fields["expires_on"].initial = timezone.localdate() + dt.timedelta(days=365)


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    list_display = ["organisation", "kind", "language", "subject"]
    list_filter = ["kind", "language"]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """The delivery log, read-only, for the patrons the staff member may see."""

    list_display = ["created_at", "patron", "kind", "subject", "status"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["patron"]
    readonly_fields = [f.name for f in Notice._meta.fields]

    def get_queryset(self, request):
        ids = visible_patrons(request.user).values("pk")
        return super().get_queryset(request).filter(patron_id__in=ids)

    def has_module_permission(self, request):
        return can(request.user, PATRONS_VIEW)

    def has_view_permission(self, request, obj=None):
        return can(request.user, PATRONS_VIEW, obj.patron if obj else None)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
    readonly_fields = ["status", "patron", "decided_at", "decided_by", "verify_link"]

    def get_queryset(self, request):
        from bci.accounts.permissions import restrict

        return restrict(
            super().get_queryset(request), request.user, PATRONS_VIEW, via="organisation"
        )

    @admin.display(description=_("desk"))
    def verify_link(self, obj):
        if obj.pk is None or obj.status != SelfRegistration.Status.PENDING:
            return "-"
        url = reverse("admin:notices_selfregistration_verify", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Verify (ID checked) and issue a card"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/verify/",
                self.admin_site.admin_view(self.verify_view),
                name="notices_selfregistration_verify",
            )
        ] + super().get_urls()

    def verify_view(self, request, pk):
        reg = get_object_or_404(self.get_queryset(request), pk=pk)
        form = VerifyForm(request.POST or None, registration=reg)
        if request.method == "POST" and form.is_valid():
            try:
                patron = verify_self_registration(
                    registration=reg, by=request.user, **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("%(patron)s is now a member.") % {"patron": patron})
                return redirect("admin:notices_selfregistration_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "registration": reg,
            "form": form,
            "title": _("Verify registration"),
        }
        return render(
            request, "admin/notices/verify.html", context, status=400 if form.errors else 200
        )

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
