from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Sip2Terminal


class Sip2TerminalForm(forms.ModelForm):
    new_password = forms.CharField(
        label=_("new password"),
        required=False,
        min_length=8,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current password."),
    )

    class Meta:
        model = Sip2Terminal
        fields = [
            "login",
            "name",
            "branch",
            "institution_id",
            "may_checkout",
            "may_checkin",
            "may_renew",
            "may_pay_fees",
            "may_hold",
            "may_block_patrons",
            "is_enabled",
        ]

    def clean(self):
        data = super().clean()
        password = data.get("new_password") or ""
        if "|" in password or any(ord(c) < 32 for c in password):
            self.add_error("new_password", _("No | or control characters."))
        if not self.instance.pk and not password:
            self.add_error("new_password", _("A new terminal needs a password."))
        return data

    def save(self, commit=True):
        terminal = super().save(commit=False)
        if self.cleaned_data.get("new_password"):
            terminal.set_password(self.cleaned_data["new_password"])
        if commit:
            terminal.save()
        return terminal


@admin.register(Sip2Terminal)
class Sip2TerminalAdmin(admin.ModelAdmin):
    form = Sip2TerminalForm
    list_display = ["login", "name", "branch", "institution_id", "is_enabled", "last_login_at"]
    list_filter = ["is_enabled", "branch"]
    search_fields = ["login", "name", "institution_id"]
    readonly_fields = ["created_at", "last_login_at"]
    autocomplete_fields = []
