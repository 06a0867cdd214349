"""17 item information, 19 item status update."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bci.circulation import queries as circ_queries
from bci.circulation.models import Hold, Loan

from ..handler import _local
from ..messages.codec import make
from ..messages.codes import CirculationStatus, FeeType
from ..messages.dates import format_date
from .common import CIRCULATION_STATUS, due_field, find_item, media_type, title_of


def item_information(message, terminal, now):
    item = find_item(message.get("AB"))
    fields = [("AB", item.barcode), ("AJ", title_of(item)), ("CK", media_type(item))]
    loan = Loan.objects.filter(item=item, ended_at__isnull=True).first()
    if loan is not None:
        fields.append(("AH", due_field(loan)))
    queue = circ_queries.hold_queue(item.record)
    fields.append(("CF", str(queue.count())))
    ready = Hold.objects.filter(copy=item, status=Hold.Status.READY).first()
    if ready is not None and ready.shelf_until:
        fields.append(("CM", format_date(ready.shelf_until)))
    fields.append(("AQ", item.home_branch.code))
    if item.current_location_id:
        fields.append(("AP", item.current_location.code))
    fields.append(("BG", item.owner.code))
    if item.call_number:
        fields.append(("CS", item.call_number))
    fixed = {
        "circulation_status": CIRCULATION_STATUS.get(item.status, CirculationStatus.OTHER),
        "security_marker": "00",  # other: RFID security, not a 3M strip
        "fee_type": FeeType.OTHER,
        "transaction_date": _local(now),
    }
    return make("18", fixed, fields)


def item_status_update(message, terminal, now):
    """Item properties (CH) are not stored in BCI: a known item is answered with
    item_properties_ok 0 and an explanation (the ACS status says status_update_ok N)."""
    item = find_item(message.get("AB"))
    fields = [
        ("AB", item.barcode),
        ("AJ", title_of(item)),
        ("AF", _("Item properties are not kept by this library system.")),
    ]
    return make("20", {"item_properties_ok": "0", "transaction_date": _local(now)}, fields)
