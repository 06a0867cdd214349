"""The demo's circulation: subscriptions, loan rules, patrons in every library, loans
(some overdue, some returned elsewhere and travelling home) and holds across
organisations, so the desk, the pick lists and the transits show realistic work.

Idempotent: categories and rules are looked up by their keys, patrons by card number, and
a patron who already has loans or holds gets no new ones.
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from bci.catalogue.models import Item, Record
from bci.circulation.models import Hold, Loan, LoanRule
from bci.circulation.services import checkin_item, checkout_item, place_hold
from bci.core.errors import DomainError
from bci.organisations.models import Node, NodeSetting
from bci.patrons.models import Card, Patron, PatronCategory
from bci.patrons.services import register_guest, register_patron, set_pin

SEED = 4
PATRONS_PER_LIBRARY = 12
DEMO_PIN = "1234"  # the first patron of these libraries (for SIP2 and the OPAC account)
PIN_LIBRARIES = {"LEK-IJSSEL", "CENTRE-CERAMIQUE", "UTRECHT"}  # Argon2 is slow by design

CATEGORIES = [
    ("jeugd", "Jeugd", "0.00", 17),
    ("student", "Student", "25.00", None),
    ("basis", "Basis", "30.00", None),
    ("standaard", "Standaard", "52.00", None),
    ("plus", "Plus", "75.00", None),
    ("digitaal", "Digitaal", "20.00", None),
]

# (category code, material type, fields) on the network: the harmonised tariffs
NETWORK_RULES = [
    (
        "",
        "",
        {
            "loan_period_days": 21,
            "renewals_allowed": 2,
            "max_items": 10,
            "fine_per_day": Decimal("0.20"),
            "fine_cap": Decimal("5.00"),
            "fine_free": False,
            "hold_fee": Decimal("1.00"),
            "pickup_window_days": 7,
            "fee_block_limit": Decimal("10.00"),
        },
    ),
    ("jeugd", "", {"fine_free": True, "hold_fee": Decimal("0.00")}),
    ("plus", "", {"max_items": 20, "fine_free": True, "loan_period_days": 28}),
    ("basis", "", {"max_items": 5}),
    ("digitaal", "", {"max_items": 0}),
    (
        "",
        "dvd",
        {
            "loan_period_days": 7,
            "renewals_allowed": 0,
            "short_loan": True,
            "fine_per_day": Decimal("0.50"),
            "max_items_of_type": 3,
        },
    ),
    ("", "game", {"loan_period_days": 14, "max_items_of_type": 2}),
]
FINE_FREE_LIBRARIES = ["ZOUT", "VENLO"]  # about a third of libraries are fine-free
FINE_FREE_BRANCHES = ["UTRECHT-OVERVECHT"]  # policy can differ per branch

FIRST = [
    "Anna",
    "Bram",
    "Chantal",
    "Daan",
    "Eva",
    "Fatima",
    "Gijs",
    "Hanna",
    "Ilse",
    "Jeroen",
    "Kees",
    "Lotte",
    "Mohammed",
    "Noor",
    "Olaf",
    "Priya",
    "Quinten",
    "Roos",
    "Sem",
    "Tess",
    "Umar",
    "Vera",
    "Wouter",
    "Yara",
    "Zeynep",
]
LAST = [
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "Yilmaz",
    "El Amrani",
    "Kaya",
]
CATEGORY_MIX = ["standaard"] * 5 + ["jeugd"] * 3 + ["plus"] * 2 + ["basis", "student"]


def card_number(index, seq):
    return f"2{index:03d}{seq:05d}"


def libraries():
    """[(organisation, [lending branches])] in code order."""
    out = []
    for org in Node.objects.organisations().order_by("code"):
        branches = list(Node.objects.descendants_of(org).branches().active().order_by("path"))
        if branches:
            out.append((org, branches))
    return out


@transaction.atomic
def setup_rules(network):
    cats = {}
    for code, name, fee, max_age in CATEGORIES:
        cats[code], _ = PatronCategory.objects.get_or_create(
            node=network,
            code=code,
            defaults={"name": name, "annual_fee": Decimal(fee), "max_age": max_age},
        )
    for category, material_type, fields in NETWORK_RULES:
        LoanRule.objects.get_or_create(
            node=network, patron_category=category, material_type=material_type, defaults=fields
        )
    for code in FINE_FREE_LIBRARIES + FINE_FREE_BRANCHES:
        node = Node.objects.filter(code=code).first()
        if node is not None:
            LoanRule.objects.get_or_create(
                node=node, patron_category="", material_type="", defaults={"fine_free": True}
            )
    NodeSetting.objects.get_or_create(
        node=network, key="circulation.default_replacement_cost", defaults={"value": "25.00"}
    )
    return cats


def add_patrons(libs, cats, now, rng):
    created = 0
    today = now.date()
    for index, (org, branches) in enumerate(libs):
        for seq in range(1, PATRONS_PER_LIBRARY + 1):
            barcode = card_number(index, seq)
            if Card.objects.filter(barcode=barcode).exists():
                continue
            code = CATEGORY_MIX[(seq - 1) % len(CATEGORY_MIX)]
            age = rng.randint(6, 16) if code == "jeugd" else rng.randint(18, 85)
            town = branches[(seq - 1) % len(branches)].town
            patron = register_patron(
                home_organisation=org,
                category=cats[code],
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
                card_barcode=barcode,
                expires_on=today + dt.timedelta(days=rng.randint(-20, 700))
                if seq > 1
                else today + dt.timedelta(days=365),
                email=f"lener{barcode}@demo.bci.invalid",
                town=town,
                birthdate=dt.date(today.year - age, rng.randint(1, 12), rng.randint(1, 28)),
                keep_loan_history=seq % 4 == 0,
                by="bci seed-demo",
                now=now - dt.timedelta(days=rng.randint(30, 2000)),
            )
            if seq == 1 and org.code in PIN_LIBRARIES:
                set_pin(patron=patron, pin=DEMO_PIN, by="bci seed-demo", now=now)
            created += 1
    return created


def _available(org, exclude=()):
    return (
        Item.objects.filter(owner=org, status=Item.Status.AVAILABLE)
        .exclude(pk__in=list(exclude))
        .order_by("id")
    )


def add_loans(libs, now, rng):
    """Each library's patrons borrow at home (some long ago: overdue) and a few at a
    neighbouring library; some items come back at a third library and travel home."""
    made = returned = 0
    for index, (org, branches) in enumerate(libs):
        patrons = list(
            Patron.objects.filter(
                home_organisation=org, category__code__in=["standaard", "plus"]
            ).order_by("id")
        )
        if not patrons or Loan.objects.filter(patron__in=patrons).exists():
            continue
        neighbour_org, neighbour_branches = libs[(index + 1) % len(libs)]
        third_org, third_branches = libs[(index + 2) % len(libs)]
        taken = set()
        for n, patron in enumerate(patrons[:4]):
            card = patron.cards.filter(is_active=True).first().barcode
            for k in range(3):
                away = k == 2 and n % 2 == 0
                source_org = neighbour_org if away else org
                branch = (neighbour_branches if away else branches)[
                    (n + k) % len(neighbour_branches if away else branches)
                ]
                item = _available(source_org, taken).filter(home_branch=branch).first()
                if item is None:
                    continue
                taken.add(item.pk)
                # three weeks ago and more: some of these are overdue now
                when = now - dt.timedelta(days=rng.choice([2, 5, 12, 26, 35, 40]), hours=n)
                try:
                    checkout_item(
                        item_barcode=item.barcode,
                        card_barcode=card,
                        branch=branch,
                        by="bci seed-demo",
                        now=when,
                    )
                    made += 1
                except DomainError:
                    continue
                if n == 3 and k == 0:  # returned at a third library: in transit home
                    checkin_item(
                        item_barcode=item.barcode,
                        branch=third_branches[0],
                        by="bci seed-demo",
                        now=now - dt.timedelta(hours=3),
                    )
                    returned += 1
    return made, returned


def titles_only_elsewhere(home, other, limit):
    return list(
        Record.objects.filter(
            deleted_at__isnull=True, items__owner=other, items__status=Item.Status.AVAILABLE
        )
        .exclude(items__owner=home)
        .distinct()
        .order_by("id")[:limit]
    )


def add_holds(libs, now):
    """Patrons reserve titles only another library holds, to pick up at their branch
    (Houten patrons ask for titles only held in Maastricht)."""
    placed = 0
    by_code = {org.code: (org, branches) for org, branches in libs}
    pairs = []
    if "LEK-IJSSEL" in by_code and "CENTRE-CERAMIQUE" in by_code:
        pairs.append((by_code["LEK-IJSSEL"], by_code["CENTRE-CERAMIQUE"]))
    for index, lib in enumerate(libs):
        pairs.append((lib, libs[(index + 3) % len(libs)]))
    for (org, branches), (other, _other_branches) in pairs:
        patrons = list(
            Patron.objects.filter(home_organisation=org, category__code="standaard").order_by("id")[
                :3
            ]
        )
        if not patrons or Hold.objects.filter(patron__in=patrons).exists():
            continue
        for n, (patron, record) in enumerate(
            zip(patrons, titles_only_elsewhere(org, other, 3), strict=False)
        ):
            try:
                place_hold(
                    record=record,
                    patron=patron,
                    pickup_branch=branches[n % len(branches)],
                    by="bci seed-demo",
                    now=now - dt.timedelta(hours=n + 1),
                )
                placed += 1
            except DomainError:
                continue
    return placed


def add_guests(libs, cats, now):
    """A few gastleners: the second patron of a library registered at the next one."""
    made = 0
    for index in range(min(5, len(libs))):
        guest_org = libs[(index + 1) % len(libs)][0]
        card = Card.objects.filter(barcode=card_number(index, 2)).select_related("patron").first()
        if card is None:
            continue
        patron = card.patron
        if patron.guest_registrations.filter(organisation=guest_org).exists():
            continue
        register_guest(
            patron=patron,
            organisation=guest_org,
            category=cats["basis"],
            card_barcode=f"G{card.barcode}",
            by="bci seed-demo",
            now=now,
        )
        made += 1
    return made


def run(*, console, now):
    """Circulation: patrons, loan rules, loans (some overdue), holds across libraries."""
    network = Node.objects.filter(kind=Node.Kind.NETWORK).first()
    libs = libraries()
    if network is None or not libs:
        return "no network: run the network step first"
    if not Item.objects.exists():
        return "no items: run the catalogue step first"
    rng = random.Random(SEED)
    cats = setup_rules(network)
    patrons = add_patrons(libs, cats, now, rng)
    guests = add_guests(libs, cats, now)
    loans, returned = add_loans(libs, now, rng)
    holds = add_holds(libs, now)
    overdue = Loan.objects.filter(ended_at__isnull=True, due_date__lt=now.date()).count()
    return (
        f"{patrons} patrons, {guests} guest registrations, {loans} loans ({overdue} overdue, "
        f"{returned} returned elsewhere and in transit), {holds} holds; "
        f"PIN {DEMO_PIN} on the first card of {', '.join(sorted(PIN_LIBRARIES))}"
    )
