"""Circulation reads worth a name."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from bci.catalogue.models import Item
from bci.organisations.models import Closure, Node, OpeningHours
from bci.patrons.models import Block
from bci.patrons.queries import patron_blocks

from .models import Fee, Hold, Loan
from .policies import due_date, fees_block
from .rules import as_stamp, rulebook, stamp_params, stamp_sql

BLOCK_FEES = "fees_over_limit"


def rules_for(node, category, material_type):
    """The resolved loan terms on ``node`` (nearest ancestor wins) for ``category`` x
    ``material_type``; ``material_type`` None gives the patron-wide terms (max items)."""
    return rulebook().get(node, category, material_type)


def open_day_function(branch):
    """day -> the first day on or after it that ``branch`` is open (None: no calendar).

    The same rule as organisations.queries.next_open_day (its opening hours, closures on
    it or an ancestor, a year ahead at most), read in one query on the first call."""
    cache = {}

    def open_day(day):
        if day not in cache:
            weekdays, closures = _calendar(branch, day)
            cache[day] = _first_open_day(day, weekdays, closures)
        return cache[day]

    return open_day


HORIZON_DAYS = 366


def _calendar(branch, day):
    """(opening weekdays, [(first, last) closure days]) of ``branch`` from ``day`` on."""
    ops = connection.ops
    hours, closure = OpeningHours._meta.db_table, Closure._meta.db_table
    ids = branch.ancestor_ids()
    sql = (
        f"SELECT weekday, CAST(NULL AS date), CAST(NULL AS date) FROM {ops.quote_name(hours)} "
        "WHERE node_id = %s UNION ALL "
        f"SELECT NULL, start_date, end_date FROM {ops.quote_name(closure)} "
        f"WHERE node_id IN ({', '.join(['%s'] * len(ids))}) AND end_date >= %s "
        "AND start_date <= %s"
    )
    params = [
        branch.pk,
        *ids,
        ops.adapt_datefield_value(day),
        ops.adapt_datefield_value(day + dt.timedelta(days=HORIZON_DAYS)),
    ]
    weekdays, closures = set(), []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for weekday, start, end in cursor.fetchall():
            if weekday is not None:
                weekdays.add(int(weekday))
            else:
                closures.append((_date(start), _date(end)))
    return weekdays, closures


def _date(value):
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _first_open_day(day, weekdays, closures):
    if not weekdays:
        return None
    for _day in range(HORIZON_DAYS):
        if day.weekday() in weekdays and not any(s <= day <= e for s, e in closures):
            return day
        day += dt.timedelta(days=1)
    return None


def due_date_at(branch, today, period_days):
    return due_date(today, period_days, open_day_function(branch))


def outstanding_fees(patron):
    total = patron.fees.filter(settled_at__isnull=True).aggregate(
        owed=Coalesce(Sum(F("amount") - F("paid") - F("waived")), Decimal("0"))
    )["owed"]
    return Decimal(total).quantize(Decimal("0.01"))


def all_blocks(patron, today, *, node=None):
    """[(code, message)] of everything that stops ``patron`` borrowing at ``node``
    (manual blocks, expired membership, fees at or over the limit)."""
    blocks = patron_blocks(patron, today)
    node = node or patron.home_organisation
    rule = rulebook().get(node, patron.category.code, None)
    owed = outstanding_fees(patron)
    fee_block = fees_block_message(owed, rule.fee_block_limit)
    if fee_block is not None:
        blocks.append(fee_block)
    return blocks


def fees_block_message(owed, limit):
    """(BLOCK_FEES, message) when ``owed`` reaches ``limit``, else None."""
    if not fees_block(owed, limit):
        return None
    return (
        BLOCK_FEES,
        _("The patron owes EUR %(owed)s; borrowing stops at EUR %(limit)s.")
        % {"owed": owed, "limit": limit},
    )


@dataclass(frozen=True)
class PatronCounts:
    """What the services weigh about a patron, read in one query after the patron row
    is locked (a query that waited for the lock would read an older snapshot)."""

    loans: int  # active loans
    loans_of_type: int  # ... of ``material_type``
    guest_loans: int  # ... made at the branches under ``guest_path``
    guest_loans_of_type: int
    owed: Decimal  # outstanding fees
    blocks: int  # manual blocks in force
    own_waiting_hold: bool  # the patron's waiting hold on ``record_id``
    others_need_copy: bool  # another patron's waiting hold ``item_id`` could fill
    stamp: tuple  # the loan rules' stamp (rules.py)


def patron_counts(
    patron, *, material_type=None, guest_path=None, record_id=None, item_id=None, others=False
):
    """The patron's counts in one query. ``record_id`` asks for the patron's own waiting
    hold on that title; with ``others`` (and ``item_id``) for another patron's waiting
    hold without a copy that this copy could fill (a renewal must yield to it)."""
    ops = connection.ops
    q = ops.quote_name
    loan, item, node = (q(m._meta.db_table) for m in (Loan, Item, Node))
    fee, block, hold = (q(m._meta.db_table) for m in (Fee, Block, Hold))
    path = f"{node}.path LIKE %s" if guest_path is not None else "1 = 0"
    sql = (
        "SELECT lo.n, lo.n_type, lo.n_guest, lo.n_guest_type, "
        f"(SELECT COALESCE(SUM(amount - paid - waived), 0) FROM {fee} "
        "WHERE patron_id = %s AND settled_at IS NULL), "
        f"(SELECT COUNT(*) FROM {block} WHERE patron_id = %s AND lifted_at IS NULL), "
        f"(SELECT COUNT(*) FROM {hold} WHERE patron_id = %s AND record_id = %s "
        "AND status = %s), "
        + (
            f"(SELECT COUNT(*) FROM {hold} WHERE record_id = %s AND status = %s "
            "AND copy_id IS NULL AND (item_id IS NULL OR item_id = %s) AND patron_id <> %s), "
            if others
            else "0, "
        )
        + f"{stamp_sql()} "
        f"FROM (SELECT COUNT(*) AS n, "
        f"SUM(CASE WHEN {item}.material_type = %s THEN 1 ELSE 0 END) AS n_type, "
        f"SUM(CASE WHEN {path} THEN 1 ELSE 0 END) AS n_guest, "
        f"SUM(CASE WHEN {path} AND {item}.material_type = %s THEN 1 ELSE 0 END) AS n_guest_type "
        f"FROM {loan} INNER JOIN {item} ON {item}.id = {loan}.item_id "
        + (f"INNER JOIN {node} ON {node}.id = {loan}.branch_id " if guest_path is not None else "")
        + f"WHERE {loan}.patron_id = %s AND {loan}.ended_at IS NULL) lo"
    )
    waiting = Hold.Status.WAITING.value
    guest = [f"{guest_path}%"] if guest_path is not None else []
    params = [
        patron.pk,
        patron.pk,
        patron.pk,
        record_id,
        waiting,
        *([record_id, waiting, item_id, patron.pk] if others else []),
        *stamp_params(),
        material_type,
        *guest,
        *guest,
        material_type,
        patron.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    n, n_type, n_guest, n_guest_type, owed, blocks, own, others_n, stamp_n, stamp_id = row
    return PatronCounts(
        loans=int(n or 0),
        loans_of_type=int(n_type or 0),
        guest_loans=int(n_guest or 0),
        guest_loans_of_type=int(n_guest_type or 0),
        owed=Decimal(str(owed or 0)).quantize(Decimal("0.01")),
        blocks=int(blocks or 0),
        own_waiting_hold=bool(own),
        others_need_copy=bool(others_n),
        stamp=as_stamp(stamp_n, stamp_id),
    )


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
