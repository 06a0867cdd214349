"""Key figures of the logistics (KPIs) for a period and a set of nodes.

Pure reads with a fixed number of queries whatever the volume: nothing is read per hold,
transit or depot. ``nodes`` is the caller's visible scope (a Node queryset, e.g.
``restrict(Node.objects.all(), user, LOGISTICS_VIEW, via="")``) or None for everything.

Volumes and transit lead time place a transit at its destination's organisation, or at
its origin's when the destination belongs to none (a depot, the national hub: IBL out,
returns to a supplier); the scope is judged on that same node.
"""

from .common import (
    DEFAULT_PERIOD_DAYS,
    MAX_PERIOD_DAYS,
    HoursBetween,
    Tree,
    median,
    p90,
    parse_period,
)
from .holds import (
    NATIONAL_EXTRA_DAYS,
    NATIONAL_EXTRA_KEY,
    TARGET_DAYS,
    TARGET_KEY,
    hold_lead_times,
    working_days_after,
)
from .transport import km_per_crate, national_shipments, transit_lead_times, transit_volumes

__all__ = [
    "DEFAULT_PERIOD_DAYS",
    "MAX_PERIOD_DAYS",
    "NATIONAL_EXTRA_DAYS",
    "NATIONAL_EXTRA_KEY",
    "TARGET_DAYS",
    "TARGET_KEY",
    "HoursBetween",
    "hold_lead_times",
    "km_per_crate",
    "logistics_kpis",
    "median",
    "national_shipments",
    "p90",
    "parse_period",
    "transit_lead_times",
    "transit_volumes",
    "working_days_after",
]


def logistics_kpis(start, end, *, nodes=None):
    """Every figure above for one period and scope, as plain data (pages and API)."""
    tree = Tree()
    return {
        "period": {"from": start, "to": end},
        "hold_lead_time": hold_lead_times(start, end, nodes=nodes, tree=tree),
        "volumes": transit_volumes(start, end, nodes=nodes, tree=tree),
        "national_ibl": national_shipments(start, end, nodes=nodes, tree=tree),
        "km_per_crate": km_per_crate(start, end, nodes=nodes, tree=tree),
        "transit_lead_time": transit_lead_times(start, end, nodes=nodes),
    }
