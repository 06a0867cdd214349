"""Circulation reads worth a name."""

from decimal import Decimal

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from bci.catalogue.models import Item
from bci.organisations.models import Node
from bci.organisations.queries import next_open_day
from bci.patrons.queries import patron_blocks

from .models import Hold, Loan, LoanRule
from .policies import due_date, fees_block, resolve_rule

BLOCK_FEES = "fees_over_limit"


class Rules:
    """The loan rule rows on ``nodes`` and their ancestors, read in one query; resolve
    as many category x material type combinations as needed from them."""

    def __init__(self, *nodes):
        ids = set()
        for node in nodes:
            if node is not None:
                ids.update(node.ancestor_ids())
        self.rows = list(
            LoanRule.objects.filter(node_id__in=ids).annotate(node_depth=F("node__depth"))
        )

    def get(self, node, category, material_type):
        ids = set(node.ancestor_ids())
        return resolve_rule(
            [row for row in self.rows if row.node_id in ids],
            category=category or "",
            material_type=material_type,
        )


def rules_for(node, category, material_type):
    """The resolved loan terms on ``node`` (nearest ancestor wins) for ``category`` x
    ``material_type``; ``material_type`` None gives the patron-wide terms (max items)."""
    return Rules(node).get(node, category, material_type)


def open_day_function(branch):
    """day -> the first day on or after it that ``branch`` is open (None: no calendar)."""
    return lambda day: next_open_day(branch, day, include_start=True)


def due_date_at(branch, today, period_days):
    return due_date(today, period_days, open_day_function(branch))


def outstanding_fees(patron):
    total = patron.fees.filter(settled_at__isnull=True).aggregate(
        owed=Coalesce(Sum(F("amount") - F("paid") - F("waived")), Decimal("0"))
    )["owed"]
    return Decimal(total).quantize(Decimal("0.01"))


def all_blocks(patron, today, *, node=None, rules=None):
    """[(code, message)] of everything that stops ``patron`` borrowing at ``node``
    (manual blocks, expired membership, fees at or over the limit)."""
    blocks = patron_blocks(patron, today)
    node = node or patron.home_organisation
    rule = (rules or Rules(node)).get(node, patron.category.code, None)
    owed = outstanding_fees(patron)
    if fees_block(owed, rule.fee_block_limit):
        blocks.append(
            (
                BLOCK_FEES,
                _("The patron owes EUR %(owed)s; borrowing stops at EUR %(limit)s.")
                % {"owed": owed, "limit": rule.fee_block_limit},
            )
        )
    return blocks


def active_loans(patron):
    return (
        Loan.objects.filter(patron=patron, ended_at__isnull=True)
        .select_related("item", "item__record", "branch")
        .order_by("due_date", "id")
    )


def due_dates(item_ids):
    """{item_id: due date} of the active loans of ``item_ids``, in one query."""
    if not item_ids:
        return {}
    return dict(
        Loan.objects.filter(ended_at__isnull=True, item_id__in=list(item_ids)).values_list(
            "item_id", "due_date"
        )
    )


def overdue_loans(today, *, within=None):
    qs = Loan.objects.filter(ended_at__isnull=True, due_date__lt=today).select_related(
        "item", "patron", "branch"
    )
    if within is not None:
        qs = qs.filter(branch__path__startswith=within.path)
    return qs


def active_holds(patron):
    return (
        Hold.objects.filter(patron=patron, status__in=Hold.ACTIVE_STATUSES)
        .select_related("record", "pickup_branch", "copy")
        .order_by("placed_at", "id")
    )


def hold_queue(record):
    """Active holds on ``record`` in queue order (first come, first served)."""
    return (
        Hold.objects.filter(record=record, status__in=Hold.ACTIVE_STATUSES)
        .select_related("patron", "pickup_branch", "copy")
        .order_by("placed_at", "id")
    )


def item_location(item):
    return item.current_location or item.home_branch


def pick_list(branch):
    """The kastlijst: copies standing at ``branch`` that the targeter assigned to waiting
    holds, with the reason, in shelf order. Staff pull them and scan them in."""
    return (
        Hold.objects.filter(
            status=Hold.Status.WAITING,
            copy__isnull=False,
            copy__status=Item.Status.AVAILABLE,
        )
        .filter(
            Q(copy__current_location=branch)
            | Q(copy__current_location__isnull=True, copy__home_branch=branch)
        )
        .select_related("copy", "record", "pickup_branch")
        .order_by("copy__shelf_code", "copy__call_number", "placed_at", "id")
    )


def hold_shelf(branch):
    return (
        Hold.objects.filter(status=Hold.Status.READY, pickup_branch=branch)
        .select_related("copy", "record", "patron")
        .order_by("shelf_until", "patron__last_name", "id")
    )


def expired_on_shelf(today, *, branch=None):
    qs = Hold.objects.filter(status=Hold.Status.READY, shelf_until__lt=today)
    if branch is not None:
        qs = qs.filter(pickup_branch=branch)
    return qs


def lending_locations():
    return Node.objects.branches().active()
