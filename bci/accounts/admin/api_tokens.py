"""Admin for API tokens.

A staff member manages the application tokens on nodes where they may manage roles, and
staff tokens of users they could change (their own included). A token never grants more
than its creator holds on its node. Tokens are never edited: created (the secret shown
once), then revoked. They are not deleted either: the row documents who had access.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from bci.accounts.permissions import MANAGE_ROLES, can

from ..models import ApiToken
from ..tokens import create_token, revoke_token
from .scope import (
    ScopedChoices,
    grantable_token_permissions,
    may_change_user,
    may_manage_token,
    visible_tokens,
    with_requester,
)


class ApiTokenForm(forms.ModelForm):
    requester = None  # set per request by the admin

    permissions = forms.MultipleChoiceField(
        label=_("permissions"),
        choices=ApiToken.Permission.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Application tokens only: what the application may do within its scope."),
    )

    class Meta:
        model = ApiToken
        fields = ["name", "kind", "user", "node", "permissions", "expires_at", "rate_limit"]

    def clean(self):
        data = super().clean()
        kind, user, node = data.get("kind"), data.get("user"), data.get("node")
        requester = self.requester
        if data.get("expires_at") and data["expires_at"] <= timezone.now():
            self.add_error("expires_at", _("The expiry lies in the past."))
        if data.get("rate_limit") is not None and not 1 <= data["rate_limit"] <= 100_000:
            self.add_error("rate_limit", _("Between 1 and 100000 requests a minute."))
        if kind == ApiToken.Kind.STAFF:
            if user is None:
                self.add_error("user", _("A staff token acts as a staff member: choose one."))
            elif not (user.pk == requester.pk or may_change_user(requester, user)):
                self.add_error("user", _("You may not create tokens for this staff member."))
            if node is not None or data.get("permissions"):
                self.add_error(
                    "node", _("A staff token has its user's roles: no scope or permissions.")
                )
        elif kind == ApiToken.Kind.APPLICATION:
            if user is not None:
                self.add_error("user", _("An application token acts as no staff member."))
            if node is None:
                self.add_error("node", _("An application token needs a scope."))
            else:
                allowed = set(grantable_token_permissions(requester, node))
                wanted = data.get("permissions") or []
                if not wanted:
                    self.add_error("permissions", _("Choose at least one permission."))
                refused = [p for p in wanted if p not in allowed]
                if refused:
                    self.add_error(
                        "permissions",
                        _("You may not give %(permissions)s on %(node)s.")
                        % {"permissions": ", ".join(refused), "node": node.name},
                    )
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedChoices, admin.ModelAdmin):
    form = ApiTokenForm
    list_display = [
        "prefix_text",
        "name",
        "kind",
        "acts_as",
        "permissions_text",
        "created_at",
        "expires_at",
        "last_used_at",
        "status_text",
    ]
    list_filter = ["kind", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "user__username", "node__code", "node__name"]
    actions = ["revoke_selected"]
    readonly_fields = [
        "prefix_text",
        "name",
        "kind",
        "user",
        "node",
        "permissions_text",
        "rate_limit",
        "created_by",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]

    @admin.display(description=_("token"), ordering="prefix")
    def prefix_text(self, obj):
        return f"bci_{obj.prefix}_…"

    @admin.display(description=_("acts as / scope"))
    def acts_as(self, obj):
        return obj.user.get_username() if obj.user_id else obj.node.name

    @admin.display(description=_("permissions"))
    def permissions_text(self, obj):
        if obj.kind == ApiToken.Kind.STAFF:
            return _("the staff member's roles")
        labels = dict(ApiToken.Permission.choices)
        return ", ".join(str(labels.get(p, p)) for p in obj.permissions)

    @admin.display(description=_("status"))
    def status_text(self, obj):
        return {"active": _("active"), "expired": _("expired"), "revoked": _("revoked")}[
            obj.status(timezone.now())
        ]

    def get_queryset(self, request):
        return visible_tokens(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ApiTokenForm.Meta.fields
        return self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, **kwargs)
        return with_requester(super().get_form(request, obj, **kwargs), request)

    def save_model(self, request, obj, form, change):
        if change:  # tokens are immutable; the change form is read-only
            return
        data = form.cleaned_data
        token, raw = create_token(
            kind=data["kind"],
            name=data["name"],
            user=data.get("user"),
            node=data.get("node"),
            permissions=data.get("permissions") or [],
            expires_at=data.get("expires_at"),
            rate_limit=data.get("rate_limit"),
            by=request.user,
        )
        obj.pk, obj.prefix, obj.created_at = token.pk, token.prefix, token.created_at
        obj._state.adding = False
        messages.warning(
            request,
            format_html(
                "{} <code>{}</code>",
                _("Copy the API token now: it is shown only this once."),
                raw,
            ),
        )

    def response_add(self, request, obj, post_url_continue=None):
        return HttpResponseRedirect(reverse("admin:accounts_apitoken_changelist"))

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_selected(self, request, queryset):
        done = 0
        for token in queryset:
            if token.revoked_at is None and may_manage_token(request.user, token):
                revoke_token(token=token, by=request.user)
                done += 1
        self.message_user(request, _("%(count)d token(s) revoked.") % {"count": done})

    def has_module_permission(self, request):
        return can(request.user, MANAGE_ROLES)

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return can(request.user, MANAGE_ROLES)
        return may_manage_token(request.user, obj)

    def has_add_permission(self, request):
        return can(request.user, MANAGE_ROLES)

    def has_change_permission(self, request, obj=None):
        # Only revoking changes a token (the action); the change form shows it read-only.
        if obj is None:
            return can(request.user, MANAGE_ROLES)
        return False

    def has_delete_permission(self, request, obj=None):
        return False
