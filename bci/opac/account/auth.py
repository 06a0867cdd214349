"""The patron's OPAC session, apart from staff authentication.

The session holds the patron id, the card used and a fingerprint of the PIN hash under
keys of our own: a PIN change elsewhere (desk reset, reset link) or a withdrawn card ends
the session. Login rotates the session key.

Throttling uses Django's cache (the default LocMemCache: per process; a multi-process
deployment sets CACHES to a shared backend such as Redis or the database cache): after
``CARD_LIMIT`` failures on one card, or ``IP_LIMIT`` from one client address, within
``WINDOW`` seconds, logins are refused for ``WINDOW`` seconds, right PIN or not.
"""

import functools
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bci.core import throttle
from bci.core.errors import DomainError
from bci.notices.selfservice import pin_fingerprint
from bci.patrons.models import Card, Patron
from bci.patrons.services import verify_pin

SESSION_PATRON = "opac_patron_id"
SESSION_CARD = "opac_card"
SESSION_PIN = "opac_pin_fp"
CARD_LIMIT = throttle.PIN_LIMIT  # shared with every door that checks a PIN
IP_LIMIT = 20
WINDOW = throttle.PIN_WINDOW


class LoginLocked(DomainError):
    code = "login_locked"
    message = _("Too many wrong attempts. Try again in %(minutes)s minutes.")
    status = 429


def client_ip(request):
    return request.META.get("REMOTE_ADDR", "") or "-"


def _locked(card, ip):
    return throttle.pin_locked(card) or throttle.count("opac-login-ip", ip) >= IP_LIMIT


def _fail(card, ip):
    throttle.pin_failed(card)
    throttle.hit("opac-login-ip", ip, WINDOW)


def authenticate(request, card_barcode, pin):
    """The patron behind card + PIN; raises LoginLocked or the patrons' DomainError."""
    card = (card_barcode or "").strip()[:32]
    ip = client_ip(request)
    if _locked(card, ip):
        raise LoginLocked(minutes=WINDOW // 60)
    try:
        patron = verify_pin(card_barcode=card, pin=pin)
    except DomainError:
        _fail(card, ip)
        raise
    throttle.pin_ok(card)
    return patron


def login(request, patron, card_barcode):
    request.session.cycle_key()
    request.session[SESSION_PATRON] = patron.pk
    request.session[SESSION_CARD] = card_barcode.strip()
    request.session[SESSION_PIN] = pin_fingerprint(patron)


def logout(request):
    for key in (SESSION_PATRON, SESSION_CARD, SESSION_PIN):
        request.session.pop(key, None)
    request.session.cycle_key()


def current_patron(request):
    """The logged-in patron or None (and the session is cleared when no longer valid)."""
    if hasattr(request, "_opac_patron"):
        return request._opac_patron
    patron = None
    patron_id = request.session.get(SESSION_PATRON)
    if patron_id:
        patron = (
            Patron.objects.select_related("category", "home_organisation")
            .filter(pk=patron_id)
            .first()
        )
        card_ok = Card.objects.filter(
            patron_id=patron_id, barcode=request.session.get(SESSION_CARD, ""), is_active=True
        ).exists()
        if (
            patron is None
            or not card_ok
            or request.session.get(SESSION_PIN) != pin_fingerprint(patron)
        ):
            logout(request)
            patron = None
    request._opac_patron = patron
    return patron


def refresh_fingerprint(request, patron):
    """After the patron changed their own PIN: keep this session, end the others."""
    request.session[SESSION_PIN] = pin_fingerprint(patron)
    request._opac_patron = patron


def patron_required(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        patron = current_patron(request)
        if patron is None:
            return redirect(
                reverse("opac:account_login") + "?" + urlencode({"next": request.get_full_path()})
            )
        return view(request, patron, *args, **kwargs)

    return wrapper


FORM_LIMIT = 5  # "forgot PIN" requests and self-registrations per client address per window


def over_form_limit(request, bucket, limit=None):
    """Count one use of a public form from this client address; True once over the limit
    (the caller then quietly does nothing: no mail bombing, no registration spam)."""
    return throttle.hit(f"opac-form-{bucket}", client_ip(request), WINDOW) > (limit or FORM_LIMIT)
