from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bci.organisations.models import Node

PIN_WIDGET = forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"})


class LoginForm(forms.Form):
    card = forms.CharField(
        label=_("Card number"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    pin = forms.CharField(
        label=_("PIN"),
        max_length=8,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "inputmode": "numeric"}
        ),
    )


class NewPinForm(forms.Form):
    new_pin = forms.CharField(label=_("New PIN (4 to 8 digits)"), max_length=8, widget=PIN_WIDGET)
    new_pin_again = forms.CharField(label=_("New PIN again"), max_length=8, widget=PIN_WIDGET)

    def clean(self):
        data = super().clean()
        if data.get("new_pin") and data.get("new_pin") != data.get("new_pin_again"):
            raise forms.ValidationError(_("The two new PINs are not the same."))
        return data


class ChangePinForm(NewPinForm):
    current_pin = forms.CharField(label=_("Current PIN"), max_length=8, widget=PIN_WIDGET)
    field_order = ["current_pin", "new_pin", "new_pin_again"]


class ForgotPinForm(forms.Form):
    card = forms.CharField(label=_("Card number"), max_length=32)
    email = forms.EmailField(label=_("E-mail address known to the library"))


def branch_choices():
    return [
        (b.pk, f"{b.name} ({b.town})" if b.town and b.town not in b.name else b.name)
        for b in Node.objects.branches().active().order_by("name")
    ]


class PickupForm(forms.Form):
    branch = forms.TypedChoiceField(label=_("Pick-up branch"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = branch_choices()

    def branch_node(self):
        return Node.objects.get(pk=self.cleaned_data["branch"])


class RegistrationForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("Library"), coerce=int)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    birthdate = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Phone (optional)"), max_length=30, required=False)
    street = forms.CharField(label=_("Street and number"), max_length=200)
    postcode = forms.CharField(label=_("Postcode"), max_length=10)
    town = forms.CharField(label=_("Town"), max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [
            (o.pk, o.name)
            for o in Node.objects.filter(kind=Node.Kind.ORGANISATION, is_active=True).order_by(
                "name"
            )
        ]

    def clean_birthdate(self):
        value = self.cleaned_data["birthdate"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        return value
