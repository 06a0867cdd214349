"""The demo's transport: a realistic two working days of transits in the three provinces,
scanned step by step with the real services (crates packed, collected, unloaded and
re-sorted at the depots, delivered, received), with the times the scans were made.

- New stock from the supplier (``new_stock``, funding ``supplier``): titles imported with
  the supplier's MARC file, their copies delivered through the POI depot. Limburg's came
  to Maastricht yesterday morning (the crates stay there, empty, for the way back);
  Utrecht's came to the Neude; more waits in crates at the Utrecht and Tilburg depots for
  the next van.
- A rotating collection (``rotation``, funding ``rotation``) packed at the Neude for
  Overvecht, waiting for the van.
- The acceptance walk: a hold placed in Houten for a copy in Maastricht, picked and packed
  at Maastricht, on the Limburg van, sorted at the Limburg cross-dock, on the night trunk,
  sorted at the BiSC depot, on the Utrecht van, received in Houten: on the hold shelf.
  A second Houten hold's copy is part way: sorted at the cross-dock, in a crate for the
  BiSC depot, waiting for tonight's trunk.

The days are the last two working days that are over by ``now`` (D1 and D2). Idempotent:
the step does its work once (its first crate is the marker) and afterwards only reports.
The transits circulation made (holds, returns home) stay as they are.
"""

import datetime as dt
import tempfile
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from bci.catalogue import synth
from bci.catalogue.models import Item, Record
from bci.catalogue.services import change_item_status, import_marc_file
from bci.circulation.models import Hold
from bci.circulation.services import checkin_item, place_hold
from bci.core.errors import DomainError
from bci.logistics.crates import (
    collect_crate,
    deliver_crate,
    depot_for,
    pack_item,
    receive_crate,
    register_crate,
    unload_at_depot,
)
from bci.logistics.models import Crate, Transit
from bci.logistics.services import create_transit
from bci.organisations.models import Node
from bci.patrons.models import Patron

BY = "bci seed-demo"
SEED = 7  # the synthetic supplier's titles
FIRST_TITLE = 900_000  # their numbers (ISBN, PPN) lie beyond the demo catalogue's
HOUTEN, MAASTRICHT = "LEK-IJSSEL-HOUTEN", "CENTRE-CERAMIQUE-MAASTRICHT"
NEUDE, OVERVECHT = "UTRECHT-NEUDE", "UTRECHT-OVERVECHT"
TILBURG_DEPOT = "CUBISS-DEPOT-TILBURG"
# crate barcode -> home depot code; the first is the step's "done" marker
CRATES = {
    "KR-LIM-0001": "CUBISS-LIMBURG-CROSS-DOCK",
    "KR-LIM-0002": "CUBISS-LIMBURG-CROSS-DOCK",
    "KR-LIM-0003": "CUBISS-LIMBURG-CROSS-DOCK",
    "KR-LIM-0004": "CUBISS-LIMBURG-CROSS-DOCK",
    "KR-UTR-0001": "BISC-DEPOT",
    "KR-UTR-0002": "BISC-DEPOT",
    "KR-UTR-0003": "BISC-DEPOT",
    "KR-BRA-0001": TILBURG_DEPOT,
    "KR-BRA-0002": TILBURG_DEPOT,
}
MARKER = "KR-LIM-0001"
HISTORY_URL = "/logistics/transits/{}/"


def working_days(now):
    """(D1, D2): the last two working days (Monday-Friday) whose afternoon is over."""
    day = timezone.localdate(now)
    while day.weekday() >= 5 or at(day, 19, 0) > now:
        day -= dt.timedelta(days=1)
    before = day - dt.timedelta(days=1)
    while before.weekday() >= 5:
        before -= dt.timedelta(days=1)
    return before, day


def at(day, hour, minute):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def node(code):
    return Node.objects.get(code=code)


def run(*, console, now):
    """Transport: new stock, a rotating collection and a hold from Maastricht to Houten."""
    codes = [HOUTEN, MAASTRICHT, NEUDE, OVERVECHT, TILBURG_DEPOT, *CRATES.values()]
    if Node.objects.filter(code__in=set(codes)).count() < len(set(codes)):
        return "the demo network is missing: run the network step first"
    if not Patron.objects.filter(home_organisation__code="LEK-IJSSEL").exists():
        return "no patrons: run the circulation step first"
    if not Crate.objects.filter(barcode=MARKER).exists():
        seed_transport(now)
    return summary()


@transaction.atomic
def seed_transport(now):
    d1, d2 = working_days(now)
    for barcode, home in CRATES.items():
        register_crate(barcode=barcode, home=node(home), by=BY, now=at(d1, 6, 0))
    stock = import_new_stock()
    maastricht, houten = node(MAASTRICHT), node(HOUTEN)
    # D1 morning: new stock for Maastricht, one title in each of two crates
    deliver_new_stock(stock[MAASTRICHT], ["KR-LIM-0001", "KR-LIM-0002"], d1, (6, 30))
    # D1 morning: new stock for the Neude
    deliver_new_stock(stock[NEUDE], ["KR-UTR-0001"], d1, (7, 0))
    walked, waiting = place_houten_holds(houten, maastricht, d1, d2)
    walk(walked, WALK, (d1, d2), picked=at(d1, 14, 10))
    walk(waiting, PART_WAY, (d1, d2), picked=at(d2, 13, 30))
    # D2 afternoon: the rotating collection packed at the Neude, more new stock at depots
    pack_rotation(node(NEUDE), node(OVERVECHT), "KR-UTR-0001", at(d2, 15, 0))
    stage_new_stock(stock[HOUTEN], "KR-UTR-0002", at(d2, 14, 0))
    brabant = sorted(stock["BRABANT"], key=lambda i: i.home_branch.code)
    branches = sorted({i.home_branch.code for i in brabant})
    for crate, code in zip(["KR-BRA-0001", "KR-BRA-0002"], branches, strict=False):
        stage_new_stock([i for i in brabant if i.home_branch.code == code], crate, at(d2, 14, 30))


def brabant_library():
    """A library organisation served from the Tilburg depot, with two branches."""
    depot = node(TILBURG_DEPOT)
    for org in Node.objects.organisations().filter(path__startswith=depot.poi.path):
        branches = list(Node.objects.descendants_of(org).branches().active().order_by("path"))
        served = [b for b in branches if depot_for(b) == depot]
        if len(served) >= 2:
            return org, served[:2]
    raise DomainError(code="demo_network", message="no Brabant library with two branches")


def import_new_stock():
    """The supplier's delivery: synthetic titles imported with their copies (852), one
    copy each. Returns {destination: [Item]}."""
    brabant_org, brabant_branches = brabant_library()
    plan = [
        (MAASTRICHT, "CENTRE-CERAMIQUE", [MAASTRICHT], 2, FIRST_TITLE),
        (NEUDE, "UTRECHT", [NEUDE], 3, FIRST_TITLE + 10),
        (HOUTEN, "LEK-IJSSEL", [HOUTEN], 2, FIRST_TITLE + 20),
        ("BRABANT", brabant_org.code, [b.code for b in brabant_branches], 4, FIRST_TITLE + 30),
    ]
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        for key, org_code, branches, n, start in plan:
            path = Path(folder) / f"{key}.mrc"
            synth.write_file(
                path,
                n,
                seed=SEED,
                start=start,
                branches=branches,
                owner=org_code,
                items=(1, 1),
                barcode_prefix="NS",
            )
            import_marc_file(paths=[path], library=node(org_code), items="852", by=BY)
            barcodes = [f"NS{SEED:02d}{i:08d}0" for i in range(start, start + n)]
            out[key] = list(
                Item.objects.filter(barcode__in=barcodes)
                .select_related("home_branch")
                .order_by("barcode")
            )
    return out


def new_stock_transit(item, now):
    """The copy arrives from the supplier at the depot that serves its branch."""
    depot = depot_for(item.home_branch)
    change_item_status(
        item=item,
        to=Item.Status.IN_TRANSIT,
        by=BY,
        where=depot,
        reason="new_stock",
        now=now,
        location=depot,
    )
    return create_transit(
        item=item,
        from_node=depot,
        to_node=item.home_branch,
        reason=Transit.Reason.NEW_STOCK,
        reference="supplier delivery",
        by=BY,
        now=now,
    )


def deliver_new_stock(items, crates, day, start):
    """Early morning: the copies arrive at the depot and are packed per branch; the van
    takes them out; the branch receives each crate (and keeps it, empty)."""
    t = at(day, *start)
    depot = depot_for(items[0].home_branch)
    branch = items[0].home_branch
    for k, item in enumerate(items):
        new_stock_transit(item, t)
        crate = crates[k % len(crates)]
        pack_item(crate_barcode=crate, item_barcode=item.barcode, at=depot, by=BY, now=t + m(10))
    for crate in crates:
        collect_crate(crate_barcode=crate, at=depot, by=BY, now=t + m(30))
        deliver_crate(crate_barcode=crate, at=branch, by=BY, now=t + m(125))
        receive_crate(crate_barcode=crate, at=branch, by=BY, now=t + m(140))


def stage_new_stock(items, crate, now):
    """New stock packed at the depot for its branch, waiting for the next van."""
    depot = depot_for(items[0].home_branch)
    for item in items:
        new_stock_transit(item, now)
        pack_item(crate_barcode=crate, item_barcode=item.barcode, at=depot, by=BY, now=now + m(20))


def pack_rotation(branch, to, crate, now, size=6):
    """A rotating collection: copies that are on the shelf at ``branch`` go to ``to``."""
    held = Hold.objects.filter(status__in=Hold.ACTIVE_STATUSES).values("record_id")
    items = list(
        Item.objects.filter(home_branch=branch, current_location=branch)
        .filter(status=Item.Status.AVAILABLE)
        .exclude(record_id__in=held)
        .order_by("id")[:size]
    )
    for item in items:
        change_item_status(
            item=item,
            to=Item.Status.IN_TRANSIT,
            by=BY,
            where=branch,
            reason="rotation",
            now=now,
            location=branch,
        )
        create_transit(
            item=item,
            from_node=branch,
            to_node=to,
            reason=Transit.Reason.ROTATION,
            reference="rotating collection",
            by=BY,
            now=now,
        )
        pack_item(crate_barcode=crate, item_barcode=item.barcode, at=branch, by=BY, now=now + m(20))
    return items


def m(minutes):
    return dt.timedelta(minutes=minutes)


def maastricht_only_titles(maastricht, limit=2):
    """Titles whose every copy is on the shelf in Maastricht and that nobody holds."""
    out = []
    candidates = (
        Record.objects.filter(
            deleted_at__isnull=True,
            items__home_branch=maastricht,
            items__status=Item.Status.AVAILABLE,
        )
        .exclude(holds__status__in=Hold.ACTIVE_STATUSES)
        .distinct()
        .order_by("id")
    )
    for record in candidates[:200]:
        copies = list(record.items.all())
        if all(
            i.home_branch_id == maastricht.pk
            and i.current_location_id == maastricht.pk
            and i.status == Item.Status.AVAILABLE
            for i in copies
        ):
            out.append(record)
            if len(out) == limit:
                break
    return out


def place_houten_holds(houten, maastricht, d1, d2):
    """Two Houten patrons reserve titles only Maastricht has: one on D1, one on D2."""
    titles = maastricht_only_titles(maastricht)
    patrons = Patron.objects.filter(home_organisation__code="LEK-IJSSEL").order_by("-id")
    holds = []
    for record, when in zip(titles, (at(d1, 9, 40), at(d2, 8, 50)), strict=False):
        for patron in patrons:
            if any(h.patron_id == patron.pk for h in holds):
                continue
            try:
                hold = place_hold(
                    record=record, patron=patron, pickup_branch=houten, by=BY, now=when
                )
            except DomainError:
                continue
            holds.append(hold)
            break
    if len(holds) < 2:
        raise DomainError(code="demo_holds", message="no Houten patron could place the holds")
    return holds


def _pick(hold, maastricht, now):
    """The copy is taken from the shelf (pick list) and scanned in: transit to Houten."""
    hold.refresh_from_db()
    copy = hold.copy or hold.record.items.filter(home_branch=maastricht).order_by("id").first()
    result = checkin_item(item_barcode=copy.barcode, branch=maastricht, by=BY, now=now)
    return copy, result.routing.transit


# The scans of the two walks: (action, crate, where, who, day, hour, minute). "where" is a
# location code or "limburg" / "utrecht" for the depots serving Maastricht and Houten.
WALK = [
    ("pack", "KR-LIM-0001", MAASTRICHT, BY, 1, 16, 30),
    ("collect", "KR-LIM-0001", MAASTRICHT, "chauffeur Limburg", 1, 16, 55),
    ("unload", "KR-LIM-0001", "limburg", "sorteerder Roermond", 1, 18, 5),
    ("pack", "KR-LIM-0003", "limburg", "sorteerder Roermond", 1, 18, 30),
    ("collect", "KR-LIM-0003", "limburg", "nachtrit Roermond-Utrecht", 1, 21, 15),
    ("unload", "KR-LIM-0003", "utrecht", "sorteerder BiSC", 2, 5, 40),
    ("pack", "KR-UTR-0003", "utrecht", "sorteerder BiSC", 2, 6, 15),
    ("collect", "KR-UTR-0003", "utrecht", "chauffeur Utrecht", 2, 7, 0),
    ("deliver", "KR-UTR-0003", HOUTEN, "chauffeur Utrecht", 2, 9, 5),
    ("receive", "KR-UTR-0003", HOUTEN, "houten-balie", 2, 9, 20),
]
# The second copy: sorted at the cross-dock, in a crate for Utrecht, waiting for the
# night trunk.
PART_WAY = [
    ("pack", "KR-LIM-0002", MAASTRICHT, BY, 2, 16, 20),
    ("collect", "KR-LIM-0002", MAASTRICHT, "chauffeur Limburg", 2, 16, 45),
    ("unload", "KR-LIM-0002", "limburg", "sorteerder Roermond", 2, 17, 50),
    ("pack", "KR-LIM-0004", "limburg", "sorteerder Roermond", 2, 18, 10),
]


def walk(hold, script, days, picked):
    """Pick ``hold``'s copy at Maastricht at ``picked`` and scan it along ``script``."""
    maastricht, houten = node(MAASTRICHT), node(HOUTEN)
    places = {"limburg": depot_for(maastricht), "utrecht": depot_for(houten)}
    copy, _transit = _pick(hold, maastricht, picked)
    for action, crate, where, by, day, hour, minute in script:
        place = places.get(where) or node(where)
        now = at(days[day - 1], hour, minute)
        if action == "pack":
            pack_item(crate_barcode=crate, item_barcode=copy.barcode, at=place, by=by, now=now)
        elif action == "collect":
            collect_crate(crate_barcode=crate, at=place, by=by, now=now)
        elif action == "unload":
            unload_at_depot(crate_barcode=crate, depot=place, by=by, now=now)
        elif action == "deliver":
            deliver_crate(crate_barcode=crate, at=place, by=by, now=now)
        else:
            receive_crate(crate_barcode=crate, at=place, scanned=[copy.barcode], by=by, now=now)


def summary():
    """One line: what is on the road, and where to follow the walk."""
    houten, maastricht = node(HOUTEN), node(MAASTRICHT)
    walks = Transit.objects.filter(
        from_node=maastricht, to_node=houten, reason=Transit.Reason.HOLD
    ).exclude(status=Transit.Status.CANCELLED)
    done = walks.filter(status=Transit.Status.RECEIVED).order_by("id").first()
    going = (
        walks.filter(status__in=Transit.OPEN_STATUSES).exclude(crate=None).order_by("id").first()
    )
    streams = {
        reason: Transit.objects.filter(reason=reason).count()
        for reason in (Transit.Reason.NEW_STOCK, Transit.Reason.ROTATION)
    }
    text = (
        f"{streams['new_stock']} new-stock and {streams['rotation']} rotating-collection "
        f"transits, {Crate.objects.filter(barcode__in=list(CRATES)).count()} crates"
    )
    if done is not None:
        text += (
            f"; hold walk Maastricht -> Houten: transit {done.pk} ({done.item.barcode}), crates "
            f"KR-LIM-0001, KR-LIM-0003, KR-UTR-0003, see {HISTORY_URL.format(done.pk)}"
        )
    if going is not None:
        text += f"; transit {going.pk} part way ({going.get_status_display()}, crate {going.crate})"
    return text
