"""Demo seed step: a SIP2 kiosk account at every main branch.

Register it in ``bci/demo/seed.py`` STEPS (after the network step)::

    "bci.protocols.sip2.kiosks.run",

Logins are ``kiosk-<branch code in lower case>``, all with the password DEMO_KIOSK_PASSWORD;
they may check out, check in, renew, take payments and place holds.
"""

from django.db import transaction

from bci.organisations.models import Node
from bci.protocols.models import Sip2Terminal

from .terminals import add_terminal

DEMO_KIOSK_PASSWORD = "demo-kiosk"
DEMO_PERMISSIONS = ("checkout", "checkin", "renew", "fee", "hold")


def kiosk_login(branch):
    return f"kiosk-{branch.code.lower()}"[:64]


@transaction.atomic
def run(*, console, now):
    """SIP2: a self-service kiosk account at every main branch."""
    existing = set(Sip2Terminal.objects.values_list("login", flat=True))
    created = 0
    branches = Node.objects.filter(kind=Node.Kind.MAIN_BRANCH, is_active=True).select_related(
        "parent"
    )
    for branch in branches:
        login = kiosk_login(branch)
        if login in existing:
            continue
        add_terminal(
            login=login,
            password=DEMO_KIOSK_PASSWORD,
            branch=branch,
            name=f"Demo kiosk {branch.name}",
            permissions=DEMO_PERMISSIONS,
            by="bci seed-demo",
            now=now,
        )
        created += 1
    total = len(existing) + created
    return f"{total} kiosk accounts ({created} new), password {DEMO_KIOSK_PASSWORD!r}"
