"""Admin for staff members and their roles, scoped by our role system.

Rules (superusers are exempt):
- a staff member sees the users holding a role on a node they may ``view`` (and themselves);
- they may grant role R on node N only when they may ``manage_roles`` on N, R may do nothing
  that their own roles over N do not allow (no escalation), and R fits the kind of N
  (network administrators on the network, POI staff and planners on a POI or the network);
- they may change or delete a user only when they could have granted every role that user
  holds. So a library administrator manages library administrators, desk staff and
  read-only users within their own organisation, and nobody else.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from bci.accounts.permissions import (
    MANAGE_ROLES,
    ROLE_ACTIONS,
    TOKEN_PERMISSIONS,
    VIEW,
    assignments,
    can,
    restrict,
)
from bci.organisations.models import Node

from .models import ApiToken, Role, RoleAssignment, User
from .tokens import create_token, revoke_token

# On which kinds of node a role makes sense (None: any node).
ROLE_NODE_KINDS = {
    Role.NETWORK_ADMIN: {Node.Kind.NETWORK},
    Role.POI_STAFF: {Node.Kind.NETWORK, Node.Kind.POI},
    Role.LOGISTICS_PLANNER: {Node.Kind.NETWORK, Node.Kind.POI},
}


def held_actions(user, node):
    """Every action ``user``'s roles allow on ``node`` (roles on it or above it)."""
    held = set()
    for assignment in assignments(user):
        if node.path.startswith(assignment.node.path):
            held |= ROLE_ACTIONS.get(assignment.role, frozenset())
    return held


def grantable_roles(user, node):
    """The roles ``user`` may grant on ``node`` (see the module docstring)."""
    fitting = [r for r in Role if node.kind in ROLE_NODE_KINDS.get(r, {node.kind})]
    if user.is_superuser and user.is_active:
        return fitting
    if not can(user, MANAGE_ROLES, node):
        return []
    held = held_actions(user, node)
    return [r for r in fitting if ROLE_ACTIONS[r] <= held]


def may_grant(user, role, node):
    return role in grantable_roles(user, node)


def visible_users(user):
    """Users holding a role on a node ``user`` may view, and ``user`` themselves."""
    if user.is_superuser and user.is_active:
        return User.objects.all()
    in_scope = restrict(RoleAssignment.objects.all(), user, VIEW, via="node")
    return User.objects.filter(Q(pk__in=in_scope.values("user_id")) | Q(pk=user.pk))


def may_change_user(user, target):
    if user.is_superuser and user.is_active:
        return True
    if target.is_superuser or not can(user, MANAGE_ROLES):
        return False
    roles = list(target.roles.select_related("node"))
    if not roles:
        return target.pk == user.pk
    return all(may_grant(user, a.role, a.node) for a in roles)


class RoleAssignmentForm(forms.ModelForm):
    requester = None  # set per request by the admin

    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "node"]

    def clean(self):
        data = super().clean()
        role, node = data.get("role"), data.get("node")
        if role and node and not may_grant(self.requester, role, node):
            self.add_error(
                "role",
                _("You may not grant the role %(role)s on %(node)s.")
                % {"role": Role(role).label, "node": node.name},
            )
        return data


def _with_requester(form_class, request):
    return type(form_class.__name__, (form_class,), {"requester": request.user})


class ScopedChoices:
    """Admin mixin: the node and user dropdowns offer only what the requester may hand out
    (nodes where they may manage roles, users they may see)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "node":
            kwargs["queryset"] = restrict(
                Node.objects.all(), request.user, MANAGE_ROLES, via=""
            ).order_by("path")
        if db_field.name == "user":
            kwargs["queryset"] = visible_users(request.user).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RoleAssignmentFormSet(forms.BaseInlineFormSet):
    requester = None

    def clean(self):
        super().clean()
        if self.requester is None or self.requester.is_superuser:
            return
        kept = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and not (self.can_delete and self._should_delete_form(form))
        ]
        if self.instance.pk is None and not kept:
            raise forms.ValidationError(
                _("Give the new staff member at least one role within your scope.")
            )


class RoleAssignmentInline(ScopedChoices, admin.TabularInline):
    model = RoleAssignment
    form = RoleAssignmentForm
    formset = RoleAssignmentFormSet
    fields = ["role", "node"]
    extra = 1

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, VIEW, via="node")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _with_requester(formset.form, request)
        formset.requester = request.user
        return formset

    def has_view_permission(self, request, obj=None):
        return can(request.user, VIEW)

    def has_change_permission(self, request, obj=None):
        # ``obj`` is the user the roles belong to (None while adding one).
        if obj is None:
            return can(request.user, MANAGE_ROLES)
        return may_change_user(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "roles_text"]
    list_filter = ["is_active", "is_staff", "roles__role"]
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description=_("roles"))
    def roles_text(self, obj):
        return "; ".join(f"{a.get_role_display()} @ {a.node.name}" for a in obj.roles.all())

    def get_queryset(self, request):
        return visible_users(request.user).prefetch_related("roles__node").order_by("username")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        # Django's own permission flags mean nothing here: roles decide.
        limited = []
        for name, options in fieldsets:
            fields = [
                f
                for f in options.get("fields", ())
                if f not in ("is_superuser", "groups", "user_permissions")
            ]
            limited.append((name, {**options, "fields": fields}))
        return limited

    def has_module_permission(self, request):
        return can(request.user, VIEW)

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return can(request.user, VIEW)
        return visible_users(request.user).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return can(request.user, MANAGE_ROLES)
        return may_change_user(request.user, obj)

    def has_add_permission(self, request):
        return can(request.user, MANAGE_ROLES)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.pk == request.user.pk:
            return False
        return self.has_change_permission(request, obj)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedChoices, admin.ModelAdmin):
    form = RoleAssignmentForm
    list_display = ["user", "role", "node"]
    list_filter = ["role", "node__kind"]
    search_fields = ["user__username", "user__last_name", "node__code", "node__name"]
    list_select_related = ["user", "node"]

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, VIEW, via="node")

    def get_form(self, request, obj=None, **kwargs):
        return _with_requester(super().get_form(request, obj, **kwargs), request)

    def has_module_permission(self, request):
        return can(request.user, VIEW)

    def has_view_permission(self, request, obj=None):
        return can(request.user, VIEW, obj.node if obj is not None else None)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return can(request.user, MANAGE_ROLES)
        return may_grant(request.user, obj.role, obj.node)

    def has_add_permission(self, request):
        return can(request.user, MANAGE_ROLES)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


# --- API tokens ----------------------------------------------------------------------------
# A staff member manages the application tokens on nodes where they may manage roles, and
# staff tokens of users they could change (their own included). A token never grants more
# than its creator holds on its node. Tokens are never edited: created (the secret shown
# once), then revoked. They are not deleted either: the row documents who had access.


def may_manage_token(user, token):
    if user.is_superuser and user.is_active:
        return True
    if token.kind == ApiToken.Kind.STAFF:
        return token.user_id == user.pk or may_change_user(user, token.user)
    return can(user, MANAGE_ROLES, token.node)


def grantable_token_permissions(user, node):
    """The application-token permissions ``user`` may give on ``node`` (no escalation)."""
    if user.is_superuser and user.is_active:
        return list(ApiToken.Permission.values)
    if not can(user, MANAGE_ROLES, node):
        return []
    held = held_actions(user, node)
    return [p for p in ApiToken.Permission.values if TOKEN_PERMISSIONS[p] <= held]


def visible_tokens(user):
    tokens = ApiToken.objects.select_related("user", "node", "created_by")
    if user.is_superuser and user.is_active:
        return tokens
    nodes = restrict(Node.objects.all(), user, MANAGE_ROLES, via="")
    return tokens.filter(
        Q(kind=ApiToken.Kind.APPLICATION, node__in=nodes)
        | Q(kind=ApiToken.Kind.STAFF, user__in=visible_users(user))
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
        return _with_requester(super().get_form(request, obj, **kwargs), request)

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
