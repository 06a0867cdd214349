"""National IBL reads: open shipments in a scope, a shipment by either slip barcode, and
the cost per library organisation for reports."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from bci.accounts.permissions import LOGISTICS_SCAN, LOGISTICS_VIEW, can, restrict
from bci.organisations.models import Node

from ..models import NationalShipment
from . import barcodes
from .common import OPEN_STATUSES


def visible_nodes(user):
    """Locations whose shipments ``user`` may see: LOGISTICS_VIEW, or LOGISTICS_SCAN (desk
    staff who send an envelope print its slip)."""
    nodes = Node.objects.all()
    return restrict(nodes, user, LOGISTICS_VIEW, via="") | restrict(
        nodes, user, LOGISTICS_SCAN, via=""
    )


def may_see(user, shipment):
    return can(user, LOGISTICS_VIEW, shipment) or can(user, LOGISTICS_SCAN, shipment)


def open_shipments(nodes=None):
    """Shipments not yet finished (requested, sent, arrived), oldest first; with ``nodes``
    (a queryset or list of Nodes) only those whose location is one of them."""
    qs = NationalShipment.objects.filter(status__in=OPEN_STATUSES)
    if nodes is not None:
        qs = qs.filter(location__in=nodes)
    return qs.select_related("location", "item").order_by("created_at", "id")


def shipment_by_barcode(barcode):
    """The shipment whose outbound or return barcode is ``barcode``, or None."""
    code = barcodes.normalise(barcode)
    if not code:
        return None
    return (
        NationalShipment.objects.select_related("location", "item__record", "transit__to_node")
        .filter(Q(outbound_barcode=code) | Q(return_barcode=code))
        .first()
    )


def _day_start(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def national_costs(poi_or_nodes, first, last):
    """National IBL shipments and their cost per library organisation, for shipments
    created from ``first`` to ``last`` (dates, both included; cancelled ones cost nothing).

    ``poi_or_nodes`` is one Node (a POI, an organisation, the network: everything below
    it) or several. Each shipment costs what the ``national_ibl_cost`` setting said when
    it was made (stored on the shipment). Returns one dict per organisation, by name:
    ``{"organisation", "code", "name", "out", "in", "shipments", "cost"}``.
    """
    nodes = [poi_or_nodes] if isinstance(poi_or_nodes, Node) else list(poi_or_nodes)
    scope = Q(pk__in=[])
    for node in nodes:
        scope |= Q(location__path__startswith=node.path)
    rows = (
        NationalShipment.objects.filter(
            scope,
            created_at__gte=_day_start(first),
            created_at__lt=_day_start(last + dt.timedelta(days=1)),
        )
        .exclude(status=NationalShipment.Status.CANCELLED)
        .values("location__path", "direction")
        .annotate(n=Count("id"), cost=Sum("cost"))
    )
    rows = list(rows)
    ancestor_ids = {int(p) for r in rows for p in r["location__path"].strip("/").split("/")}
    organisations = {
        o.path: o for o in Node.objects.filter(pk__in=ancestor_ids, kind=Node.Kind.ORGANISATION)
    }
    totals = defaultdict(lambda: {"out": 0, "in": 0, "cost": Decimal("0.00")})
    for row in rows:
        org = next(
            (o for path, o in organisations.items() if row["location__path"].startswith(path)),
            None,
        )
        if org is None:  # a location outside any organisation (none lends today)
            continue
        total = totals[org]
        total[row["direction"]] += row["n"]
        total["cost"] += row["cost"] or Decimal("0")
    return sorted(
        (
            {
                "organisation": org,
                "code": org.code,
                "name": org.name,
                "out": t["out"],
                "in": t["in"],
                "shipments": t["out"] + t["in"],
                "cost": t["cost"].quantize(Decimal("0.01")),
            }
            for org, t in totals.items()
        ),
        key=lambda r: (r["name"], r["code"]),
    )
