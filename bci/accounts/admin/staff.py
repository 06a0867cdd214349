"""Admin for staff members and their role assignments (rules in ``scope``)."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from bci.accounts.permissions import MANAGE_ROLES, VIEW, can, restrict

from ..models import Role, RoleAssignment, User
from .scope import ScopedChoices, may_change_user, may_grant, visible_users, with_requester


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
        formset.form = with_requester(formset.form, request)
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
        return with_requester(super().get_form(request, obj, **kwargs), request)

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
