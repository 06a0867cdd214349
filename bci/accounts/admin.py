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
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bci.accounts.permissions import (
    MANAGE_ROLES,
    ROLE_ACTIONS,
    VIEW,
    assignments,
    can,
    restrict,
)
from bci.organisations.models import Node

from .models import Role, RoleAssignment, User

# On which kinds of node a role makes sense (None: any node).
ROLE_NODE_KINDS = {
    Role.NETWORK_ADMIN: {Node.Kind.NETWORK},
    Role.POI_STAFF: {Node.Kind.NETWORK, Node.Kind.POI},
    Role.LOGISTICS_PLANNER: {Node.Kind.NETWORK, Node.Kind.POI},
}


def grantable_roles(user, node):
    """The roles ``user`` may grant on ``node`` (see the module docstring)."""
    fitting = [r for r in Role if node.kind in ROLE_NODE_KINDS.get(r, {node.kind})]
    if user.is_superuser and user.is_active:
        return fitting
    if not can(user, MANAGE_ROLES, node):
        return []
    held = set()
    for assignment in assignments(user):
        if node.path.startswith(assignment.node.path):
            held |= ROLE_ACTIONS.get(assignment.role, frozenset())
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


class RoleAssignmentInline(admin.TabularInline):
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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "node":
            kwargs["queryset"] = restrict(
                Node.objects.all(), request.user, MANAGE_ROLES, via=""
            ).order_by("path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
class RoleAssignmentAdmin(admin.ModelAdmin):
    form = RoleAssignmentForm
    list_display = ["user", "role", "node"]
    list_filter = ["role", "node__kind"]
    search_fields = ["user__username", "user__last_name", "node__code", "node__name"]
    list_select_related = ["user", "node"]

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, VIEW, via="node")

    def get_form(self, request, obj=None, **kwargs):
        return _with_requester(super().get_form(request, obj, **kwargs), request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "node":
            kwargs["queryset"] = restrict(
                Node.objects.all(), request.user, MANAGE_ROLES, via=""
            ).order_by("path")
        if db_field.name == "user":
            kwargs["queryset"] = visible_users(request.user).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
