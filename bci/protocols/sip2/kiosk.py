"""A scripted kiosk session against a running SIP2 server (``bci sip2`` or ``bci demo``).

    uv run python -m bci.protocols.sip2.kiosk --port 6001 --login kiosk-x --password P \
        --patron CARD [--pin PIN] --item BARCODE [--checksums] [--tls-ca cert.pem]

Runs: login, SC status, patron information, checkout, checkin, checkout + renew, fee paid
(when --pay is given), end session; prints each exchange with secrets redacted and exits
non-zero when a step is refused.
"""

import argparse
import datetime as dt
import sys

from .client import Sip2Client, client_tls_context
from .messages.dates import format_date
from .messages.redaction import redact


def _td():
    return format_date(dt.datetime.now().replace(microsecond=0))


def session_steps(args):
    patron = [("AO", args.institution), ("AA", args.patron)]
    if args.pin:
        patron.append(("AD", args.pin))
    item = [*patron, ("AB", args.item)]
    steps = [
        ("status", "99", {"status_code": "0", "max_print_width": "040",
                          "protocol_version": "2.00"}, []),
        ("patron", "63", {"language": "005", "transaction_date": _td(),
                          "summary": "  Y       "}, patron),
        ("checkout", "11", {"sc_renewal_policy": "Y", "no_block": "N",
                            "transaction_date": _td(), "nb_due_date": " " * 18}, item),
        ("checkin", "09", {"no_block": "N", "transaction_date": _td(),
                           "return_date": _td()}, [("AP", ""), *item[:1], ("AB", args.item)]),
        ("checkout again", "11", {"sc_renewal_policy": "Y", "no_block": "N",
                                  "transaction_date": _td(), "nb_due_date": " " * 18}, item),
        ("renew", "29", {"third_party_allowed": "N", "no_block": "N",
                         "transaction_date": _td(), "nb_due_date": " " * 18}, item),
    ]  # fmt: skip
    if args.pay:
        steps.append(
            ("fee paid", "37", {"transaction_date": _td(), "fee_type": "01",
                                "payment_type": "00", "currency_type": "EUR"},
             [("BV", args.pay), *patron]),
        )  # fmt: skip
    steps.append(("end session", "35", {"transaction_date": _td()}, patron))
    return steps


OK = {"94": "ok", "12": "ok", "10": "ok", "30": "ok", "38": "payment_accepted",
      "36": "end_session"}  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6001)
    parser.add_argument("--login", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--institution", default="")
    parser.add_argument("--patron", required=True, help="card number")
    parser.add_argument("--pin")
    parser.add_argument("--item", required=True, help="barcode of an available item")
    parser.add_argument("--pay", help="amount to pay, e.g. 1.50")
    parser.add_argument("--checksums", action="store_true", help="use AY/AZ error detection")
    parser.add_argument("--tls-ca", help="connect with TLS, trusting this certificate")
    args = parser.parse_args(argv)
    context = client_tls_context(args.tls_ca) if args.tls_ca else None
    failed = 0
    with Sip2Client(args.host, args.port, ssl_context=context,
                    error_detection=args.checksums) as kiosk:  # fmt: skip
        ok = kiosk.login(args.login, args.password)
        print(f"login: {'ok' if ok else 'REFUSED'}")
        if not ok:
            return 1
        for label, code, fixed, fields in session_steps(args):
            reply = kiosk.request(code, fixed, fields)
            good = OK.get(reply.code)
            passed = good is None or reply.fixed[good] in ("1", "Y")
            failed += not passed
            print(f"{label}: {'ok' if passed else 'REFUSED'} {redact(kiosk.last_raw)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
