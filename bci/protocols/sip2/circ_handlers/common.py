"""What the patron and circulation handlers share: code tables, the patron behind a
request, item lookup and field formatting."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from bci.catalogue.errors import ItemNotFound
from bci.catalogue.models import Item, MaterialType
from bci.circulation import services as circ
from bci.core import throttle
from bci.patrons.errors import WrongPin
from bci.patrons.queries import card_by_barcode

from ..messages.codes import CirculationStatus, MediaType
from ..messages.dates import format_date

CURRENCY = "EUR"
MAX_LIST = 50  # items per list in a patron information response

CIRCULATION_STATUS = {
    Item.Status.AVAILABLE: CirculationStatus.AVAILABLE,
    Item.Status.ON_LOAN: CirculationStatus.CHARGED,
    Item.Status.IN_TRANSIT: CirculationStatus.IN_TRANSIT,
    Item.Status.ON_HOLD_SHELF: CirculationStatus.WAITING_ON_HOLD_SHELF,
    Item.Status.IN_PROCESSING: CirculationStatus.IN_PROCESS,
    Item.Status.MISSING: CirculationStatus.MISSING,
    Item.Status.LOST: CirculationStatus.LOST,
    Item.Status.WITHDRAWN: CirculationStatus.OTHER,
}

MEDIA_TYPE = {
    MaterialType.BOOK: MediaType.BOOK,
    MaterialType.LARGE_PRINT: MediaType.BOOK,
    MaterialType.PICTURE_BOOK: MediaType.BOOK,
    MaterialType.COMIC: MediaType.BOOK,
    MaterialType.SHEET_MUSIC: MediaType.BOOK,
    MaterialType.MAGAZINE: MediaType.MAGAZINE,
    MaterialType.AUDIOBOOK: MediaType.CD,
    MaterialType.MUSIC: MediaType.CD,
    MaterialType.DVD: MediaType.VIDEO_TAPE,
    MaterialType.GAME: MediaType.CD,
}

# the sort bin (CL) a returns sorter gets for each check-in outcome
SORT_BIN = {circ.HOLD_SHELF: "H", circ.TRANSIT: "T", circ.RESHELVE: "R"}


# --- lookups --------------------------------------------------------------------------------


class KioskPatron:
    """The patron behind the AA card of a request, and whether the PIN (AD) matched."""

    def __init__(self, message, *, active_only=True):
        barcode = (message.get("AA") or "").strip()
        self.card = card_by_barcode(barcode, active_only=active_only)
        self.patron = self.card.patron
        pin = message.get("AD")
        # AD absent or empty: the kiosk does not ask for PINs (the terminal is trusted, as in
        # Evergreen and Koha); AD present: it must match.
        self.pin_given = bool(pin)
        self.pin_ok = None
        if pin:  # wrong PINs count per card with the OPAC's: a kiosk is no way to guess
            if throttle.pin_locked(barcode):
                self.pin_ok = False
            elif self.patron.check_pin(pin):
                self.pin_ok = True
                throttle.pin_ok(barcode)
            else:
                self.pin_ok = False
                throttle.pin_failed(barcode)

    def require_pin(self):
        if self.pin_ok is False:
            raise WrongPin()
        return self.patron


def money(amount) -> str:
    return f"{Decimal(amount):.2f}"


def local_today(now):
    return timezone.localdate(now)


def media_type(item) -> str:
    return MEDIA_TYPE.get(item.material_type, MediaType.OTHER)


def due_field(loan) -> str:
    return format_date(loan.due_date)


def title_of(item) -> str:
    return item.record.title if item is not None else ""


def find_item(barcode) -> Item:
    barcode = (barcode or "").strip()
    item = (
        Item.objects.select_related("record", "home_branch", "current_location", "owner")
        .filter(barcode=barcode)
        .first()
        if barcode
        else None
    )
    if item is None:
        raise ItemNotFound(barcode=barcode or "-")
    return item


def count_field(n):
    return f"{min(n, 9999):04d}"
