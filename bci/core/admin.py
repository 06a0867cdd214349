from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only services may write (loans, holds, fees, events): the admin shows
    them; changes go through the desk, the API or a command, with their checks and events."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
