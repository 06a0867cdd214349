"""Staff forms of national IBL. They check shapes only; the services decide the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _


def _location_field(label, choices):
    return forms.ChoiceField(label=label, choices=choices)


class SendForm(forms.Form):
    item = forms.CharField(label=_("Item barcode"), max_length=32)
    partner_isil = forms.CharField(label=_("Borrowing library (ISIL)"), max_length=32)
    partner_name = forms.CharField(label=_("Library name"), max_length=200, required=False)
    reference = forms.CharField(label=_("Request number"), max_length=64, required=False)

    def __init__(self, *args, locations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["at"] = _location_field(_("Sent from"), locations)


class RequestForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    partner_isil = forms.CharField(label=_("Lending library (ISIL)"), max_length=32)
    partner_name = forms.CharField(label=_("Library name"), max_length=200, required=False)
    reference = forms.CharField(label=_("Request number"), max_length=64, required=False)

    def __init__(self, *args, locations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pickup"] = _location_field(_("Pick-up location"), locations)


class ScanForm(forms.Form):
    barcode = forms.CharField(label=_("Slip barcode"), max_length=32)

    def __init__(self, *args, locations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["at"] = _location_field(_("Scanned at"), locations)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=200)
