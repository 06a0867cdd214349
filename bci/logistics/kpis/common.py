"""What the key figures share: the period, percentiles, the network tree read once, the
scope of a transit, hours between two datetimes computed in the database."""

import datetime as dt
import math
import statistics

from django.db.models import FloatField, Func, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bci.core.errors import InvalidInput
from bci.organisations.models import Node

DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 366
NO_ORGANISATION_KINDS = (Node.Kind.DEPOT, Node.Kind.HUB, Node.Kind.POI, Node.Kind.NETWORK)


# --- period ------------------------------------------------------------------------------


def parse_period(start_text=None, end_text=None, *, today=None):
    """(start, end) dates, both included, from ``?from=&to=`` text; default: the last
    30 days up to today. Bad input raises InvalidInput with a clear message."""
    today = today or timezone.localdate()

    def day(text, default, name):
        if not text:
            return default
        try:
            return dt.date.fromisoformat(str(text).strip())
        except ValueError:
            raise InvalidInput(
                _("%(name)s is not a date (YYYY-MM-DD): %(text)s") % {"name": name, "text": text}
            ) from None

    end = day(end_text, today, "to")
    start = day(start_text, end - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), "from")
    if start > end:
        raise InvalidInput(_("The period starts after it ends."))
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(_("A period spans at most %(n)s days.") % {"n": MAX_PERIOD_DAYS})
    return start, end


def bounds(start, end):
    """Aware datetimes [start 00:00, day after end 00:00) in the local time zone."""
    zone = timezone.get_current_timezone()
    first = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return first, after


# --- small helpers -----------------------------------------------------------------------


def median(values):
    return statistics.median(values) if values else None


def p90(values):
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(0.9 * len(ordered)), 1) - 1]


def hours_of(delta):
    return delta.total_seconds() / 3600


def rounded(value, digits=1):
    return None if value is None else round(value, digits)


class Tree:
    """Every node of the network in one query (a deployment has about a thousand): ids,
    codes, names, paths, and each node's organisation, without a query per node."""

    def __init__(self):
        rows = Node.objects.values_list("id", "code", "name", "path", "kind")
        self.nodes = {
            r[0]: {"id": r[0], "code": r[1], "name": r[2], "path": r[3], "kind": r[4]} for r in rows
        }
        self.by_code = {n["code"]: n for n in self.nodes.values()}
        self._org_keys = {}

    def ancestors(self, node_id):
        """Ids root first, the node itself last."""
        path = self.nodes[node_id]["path"]
        return [int(part) for part in path.strip("/").split("/") if part]

    def organisation(self, node_id):
        for ancestor in reversed(self.ancestors(node_id)):
            if self.nodes.get(ancestor, {}).get("kind") == Node.Kind.ORGANISATION:
                return self.nodes[ancestor]
        return None

    def resolve(self, node_id, values, default):
        """Nearest-ancestor-wins over ``values`` ({node id: value})."""
        for ancestor in reversed(self.ancestors(node_id)):
            if ancestor in values:
                return values[ancestor]
        return default

    def org_key(self, node_id):
        """(code, name) of the node's organisation, ("", "") when it has none."""
        if node_id not in self._org_keys:
            org = self.organisation(node_id) if node_id in self.nodes else None
            self._org_keys[node_id] = (org["code"], org["name"]) if org else ("", "")
        return self._org_keys[node_id]


def in_scope(qs, field, nodes):
    return qs if nodes is None else qs.filter(**{f"{field}__in": nodes})


def transit_scope(nodes):
    """Transits placed (see the module doc) at a node in ``nodes``."""
    if nodes is None:
        return Q()
    return Q(to_node__in=nodes) & ~Q(to_node__kind__in=NO_ORGANISATION_KINDS) | Q(
        to_node__kind__in=NO_ORGANISATION_KINDS, from_node__in=nodes
    )


def positive_int(value, default):
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default
    )


class HoursBetween(Func):
    """Hours from the first datetime to the second as a float, computed in the database
    (SQLite and PostgreSQL, the two the project runs on)."""

    arity = 2
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):
        (start, start_params), (end, end_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        if connection.vendor == "sqlite":
            sql = f"((julianday({end}) - julianday({start})) * 24.0)"
        else:
            sql = f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"
        return sql, (*start_params, *end_params)
