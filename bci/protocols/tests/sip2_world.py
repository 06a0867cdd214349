"""Test helpers for the SIP2 server (used by bci/protocols/tests/test_sip2_*.py)."""

import datetime as dt
import subprocess
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from bci.protocols.sip2.messages.codec import make
from bci.protocols.sip2.messages.dates import format_date

AMS = ZoneInfo("Europe/Amsterdam")
# Wednesday 2 December 2026, 11:00 in Amsterdam: the test branches are open
NOW = dt.datetime(2026, 12, 2, 11, 0, tzinfo=AMS)
TD = format_date(NOW.replace(tzinfo=None))
PASSWORD = "kiosk-secret-1"
PIN = "1234"


def kiosk_world(net, *, permissions=("checkout", "checkin", "renew", "fee", "hold", "block")):
    """A terminal at branch A-1, a patron of library A with PIN 1234, two titles with a copy
    each at A-1 and one copy at A-2."""
    from bci.circulation.tests.factories import make_item, make_record
    from bci.patrons.services import set_pin
    from bci.patrons.tests.factories import card_of, make_patron
    from bci.protocols.sip2.terminals import add_terminal

    terminal = add_terminal(
        login="kiosk-a1", password=PASSWORD, branch=net.a1, permissions=permissions,
        name="Kiosk A Centrum",
    )  # fmt: skip
    patron = make_patron(net.lib_a, first_name="Anna", last_name="Jansen")
    set_pin(patron=patron, pin=PIN)
    other = make_patron(net.lib_a, first_name="Bram", last_name="de Vries")
    set_pin(patron=other, pin="9999")
    record = make_record("De avonden")
    record2 = make_record("Max Havelaar")
    item = make_item(record, net.a1, barcode="ITEM-1")
    item2 = make_item(record2, net.a1, barcode="ITEM-2")
    item_a2 = make_item(record2, net.a2, barcode="ITEM-A2")
    return SimpleNamespace(
        net=net, terminal=terminal, patron=patron, card=card_of(patron), other=other,
        other_card=card_of(other), record=record, record2=record2, item=item, item2=item2,
        item_a2=item_a2,
    )  # fmt: skip


def req(code, fields=(), **fixed):
    """A request with sensible fixed-field defaults (transaction date TD)."""
    defaults = {
        "93": {"uid_algorithm": "0", "pwd_algorithm": "0"},
        "99": {"status_code": "0", "max_print_width": "040", "protocol_version": "2.00"},
        "23": {"language": "005", "transaction_date": TD},
        "63": {"language": "005", "transaction_date": TD, "summary": " " * 10},
        "11": {"sc_renewal_policy": "Y", "no_block": "N", "transaction_date": TD,
               "nb_due_date": " " * 18},
        "09": {"no_block": "N", "transaction_date": TD, "return_date": TD},
        "29": {"third_party_allowed": "N", "no_block": "N", "transaction_date": TD,
               "nb_due_date": " " * 18},
        "65": {"transaction_date": TD},
        "17": {"transaction_date": TD},
        "35": {"transaction_date": TD},
        "37": {"transaction_date": TD, "fee_type": "01", "payment_type": "00",
               "currency_type": "EUR"},
        "15": {"hold_mode": "+", "transaction_date": TD},
        "19": {"transaction_date": TD},
        "25": {"transaction_date": TD},
        "01": {"card_retained": "N", "transaction_date": TD},
    }[code]  # fmt: skip
    return make(code, {**defaults, **fixed}, fields)


def self_signed_cert(directory):
    """(cert_path, key_path) of a fresh self-signed certificate for 127.0.0.1 (openssl)."""
    cert, key = directory / "sip2.crt", directory / "sip2.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert),
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key
