"""SIP2 handlers for patrons and circulation: they call the desk's services.

Each function takes (message, terminal, now) and returns the response Message. A
DomainError raised here or by a service is turned into the message type's refusal by
``handler.handle`` (the error's Dutch text in AF).

One module per group of messages: ``patrons`` (23, 63, 01, 25, 35), ``loans`` (11, 09, 29,
65), ``items`` (17, 19), ``fees`` (37), ``holds`` (15); ``common`` holds the code tables
and lookups they share.
"""

from .fees import fee_paid
from .holds import hold
from .items import item_information, item_status_update
from .loans import checkin, checkout, renew, renew_all
from .patrons import (
    block_patron,
    end_patron_session,
    patron_enable,
    patron_information,
    patron_status,
)

HANDLERS = {
    "23": patron_status,
    "63": patron_information,
    "11": checkout,
    "09": checkin,
    "29": renew,
    "65": renew_all,
    "17": item_information,
    "35": end_patron_session,
    "37": fee_paid,
    "15": hold,
    "19": item_status_update,
    "25": patron_enable,
    "01": block_patron,
}
