"""Admin for the network tree, scoped by our role system instead of Django model perms.

A staff member sees the nodes they may ``view`` and changes those they may
``change_network``. New nodes can only hang under a node in their scope; the node a role
hangs on can be edited but not deleted (that takes a role above it).
"""

from collections import defaultdict

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bci.accounts.permissions import CHANGE_NETWORK, VIEW, can, restrict

from .models import Closure, Node, NodeSetting, OpeningHours

admin.site.site_header = _("BCI administration")
admin.site.site_title = _("BCI administration")
admin.site.index_title = _("Network, staff and roles")


class ScopedPermissions:
    """has_*_permission from bci.accounts.permissions; ``scope_of(obj)`` places obj."""

    def scope_of(self, obj):
        return obj

    def has_module_permission(self, request):
        return can(request.user, VIEW)

    def has_view_permission(self, request, obj=None):
        return can(request.user, VIEW, self.scope_of(obj) if obj is not None else None)

    def has_change_permission(self, request, obj=None):
        return can(request.user, CHANGE_NETWORK, self.scope_of(obj) if obj is not None else None)

    def has_add_permission(self, request, *args):
        return can(request.user, CHANGE_NETWORK)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


# --- inlines -------------------------------------------------------------------------------


class OpeningHoursForm(forms.ModelForm):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes", "staffed"]

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens"), data.get("closes")
        if opens is not None and closes is not None and closes <= opens:
            self.add_error("closes", _("Opening hours must end after they start."))
        return data

    def _post_clean(self):
        # OpeningHours.clean compares a row with the rows *as stored*; while several rows of
        # one node change at once (move 10-12 to 10-13 and 13-17 to 14-17) that comparison
        # is wrong. The formset checks overlaps against the rows as they will be after the
        # save instead (OpeningHoursFormSet.clean), so the model's check is skipped here.
        # Overriding _post_clean is the documented pattern of Django's own user forms.
        self.instance.clean = _no_model_clean
        try:
            super()._post_clean()
        finally:
            del self.instance.clean


def _no_model_clean():
    return None


class OpeningHoursFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        by_day = defaultdict(list)
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.errors:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            data = form.cleaned_data
            if not data or data.get("weekday") is None or not data.get("opens"):
                continue
            by_day[data["weekday"]].append((data["opens"], data["closes"], form))
        for rows in by_day.values():
            rows.sort(key=lambda row: (row[0], row[1]))
            latest = None  # the period reaching furthest into the day so far
            for opens, closes, form in rows:
                if latest is not None and opens < latest[1]:
                    form.add_error(
                        None,
                        _("These hours overlap %(other)s.")
                        % {"other": f"{latest[0]:%H:%M}-{latest[1]:%H:%M}"},
                    )
                if latest is None or closes > latest[1]:
                    latest = (opens, closes)


class NodeInline(admin.TabularInline):
    """Inline rows of a node: permissions follow the node they belong to."""

    extra = 0

    def has_view_permission(self, request, obj=None):
        return can(request.user, VIEW, obj)

    def has_change_permission(self, request, obj=None):
        return can(request.user, CHANGE_NETWORK, obj)

    def has_add_permission(self, request, obj=None):
        return can(request.user, CHANGE_NETWORK, obj)

    def has_delete_permission(self, request, obj=None):
        return can(request.user, CHANGE_NETWORK, obj)


class OpeningHoursInline(NodeInline):
    model = OpeningHours
    form = OpeningHoursForm
    formset = OpeningHoursFormSet
    extra = 1


class ClosureInline(NodeInline):
    model = Closure
    fields = ["start_date", "end_date", "reason"]


class NodeSettingInline(NodeInline):
    model = NodeSetting
    fields = ["key", "value"]


# --- nodes ---------------------------------------------------------------------------------


@admin.register(Node)
class NodeAdmin(ScopedPermissions, admin.ModelAdmin):
    list_display = ["indented_name", "code", "kind", "town", "is_active"]
    list_display_links = ["indented_name"]
    list_filter = ["kind", "is_active", "province"]
    search_fields = ["code", "name", "town"]
    ordering = ["path"]
    list_per_page = 200
    fieldsets = [
        (None, {"fields": ["kind", "parent", "code", "name", "is_active"]}),
        (
            _("Address"),
            {"fields": ["address", "postcode", "town", "province", "latitude", "longitude"]},
        ),
        (_("More"), {"fields": ["population", "source_note"]}),
    ]
    inlines = [OpeningHoursInline, ClosureInline, NodeSettingInline]

    def view_on_site(self, obj):
        return reverse("organisations:branch", kwargs={"code": obj.code})

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj):
        return format_html(
            '<span style="padding-left:{}em">{}</span>', max(obj.depth, 0) * 1.25, obj.name
        )

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, VIEW, via="")

    def has_delete_permission(self, request, obj=None):
        # The node a role hangs on is not the role holder's to delete: that needs change
        # rights on its parent.
        if obj is None:
            return can(request.user, CHANGE_NETWORK)
        return obj.parent_id is not None and can(request.user, CHANGE_NETWORK, obj.parent)

    def get_inlines(self, request, obj):
        if obj is not None and not obj.is_location:
            return [ClosureInline, NodeSettingInline]
        return self.inlines

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = self._parent_choices(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "parent" and hasattr(field.widget, "can_delete_related"):
            # Editing or deleting the parent from here would bypass its own scope check
            # in the user's eyes; go to the parent's page for that.
            field.widget.can_delete_related = False
            field.widget.can_change_related = False
        return field

    def _parent_choices(self, request):
        """Nodes the user may change, plus the current parent (a scope root keeps its
        place but cannot be moved out of reach)."""
        choices = restrict(Node.objects.all(), request.user, CHANGE_NETWORK, via="")
        current = getattr(request, "_bci_node_parent_id", None)
        if current and not request.user.is_superuser:
            choices = choices | Node.objects.filter(pk=current)
        return choices.order_by("path")

    def get_form(self, request, obj=None, change=False, **kwargs):
        request._bci_node_parent_id = obj.parent_id if obj is not None else None
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        # The form's parent choices already hold this; refuse again here so that no other
        # path around the form can place a node outside the user's scope.
        moved = "parent" in form.changed_data or not change
        if moved and obj.parent_id and not can(request.user, CHANGE_NETWORK, obj.parent):
            raise PermissionDenied(gettext("You may not place a node there."))
        super().save_model(request, obj, form, change)


@admin.register(NodeSetting)
class NodeSettingAdmin(ScopedPermissions, admin.ModelAdmin):
    list_display = ["node", "key", "value"]
    list_filter = ["key"]
    search_fields = ["key", "node__code", "node__name"]
    list_select_related = ["node"]

    def scope_of(self, obj):
        return obj.node

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, VIEW, via="node")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "node":
            kwargs["queryset"] = restrict(
                Node.objects.all(), request.user, CHANGE_NETWORK, via=""
            ).order_by("path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
