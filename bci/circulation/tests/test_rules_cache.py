"""The loan rules are cached per process (rules.py); a change must reach the next loan."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bci.circulation import errors, rules
from bci.circulation.models import LoanRule
from bci.circulation.queries import open_day_function, patron_counts, rules_for
from bci.circulation.services import charge_fee, checkout_item, place_hold
from bci.core.events import record_event
from bci.core.models import Event
from bci.organisations.models import Closure
from bci.organisations.queries import next_open_day
from bci.patrons.services import block_patron, register_guest
from bci.patrons.tests.factories import card_of, category, make_patron

from .conftest import NOW, TODAY
from .factories import make_item, make_record

pytestmark = pytest.mark.django_db


def checkout(world, item=None, branch=None, card=None):
    item = item or make_item(world.record, world.net.a1)
    return checkout_item(
        item_barcode=item.barcode,
        card_barcode=card or world.card,
        branch=branch or world.net.a1,
        now=NOW,
    )


def test_a_new_rule_reaches_the_next_checkout(world):
    assert checkout(world).loan_period_days == 21
    LoanRule.objects.create(node=world.net.lib_a, loan_period_days=14)
    assert checkout(world).loan_period_days == 14


def test_a_changed_and_a_deleted_rule_reach_the_next_checkout(world):
    rule = LoanRule.objects.create(node=world.net.a1, fine_per_day=Decimal("0.50"))
    assert checkout(world).fine_per_day == Decimal("0.50")
    rule.fine_per_day = Decimal("0.10")
    rule.save()
    assert checkout(world).fine_per_day == Decimal("0.10")
    rule.delete()
    assert checkout(world).fine_per_day == Decimal("0.20")


def test_rule_changes_are_recorded_as_events(world):
    rule = LoanRule.objects.create(node=world.net.lib_a, patron_category="plus", max_items=20)
    rule.delete()
    actions = list(
        Event.objects.filter(kind=rules.RULES_CHANGED)
        .order_by("id")
        .values_list("data__action", "data__patron_category")
    )
    assert actions == [("created", "plus"), ("deleted", "plus")]


def test_a_change_committed_by_another_process_is_seen_through_the_stamp(world):
    assert checkout(world).loan_period_days == 21  # this process caches the rules
    # another process: its rule row and its event, but no signal in this process
    LoanRule.objects.bulk_create([LoanRule(node=world.net.net, loan_period_days=28)])
    record_event(rules.RULES_CHANGED, node=world.net.net.pk, action="created")
    assert checkout(world).loan_period_days == 28


def test_a_warm_checkout_reads_no_rule_rows(world):
    LoanRule.objects.create(node=world.net.lib_a, loan_period_days=14)
    checkout(world)
    with CaptureQueriesContext(connection) as ctx:
        assert checkout(world).loan_period_days == 14
    assert not [q for q in ctx.captured_queries if "circulation_loanrule" in q["sql"]]


def test_cached_resolution_follows_the_tree(world):
    net = world.net
    LoanRule.objects.create(node=net.net, loan_period_days=21, fine_per_day=Decimal("0.25"))
    LoanRule.objects.create(node=net.lib_a, patron_category="jeugd", loan_period_days=28)
    LoanRule.objects.create(node=net.a2, material_type="dvd", loan_period_days=7)
    assert rules_for(net.a1, "jeugd", "book").loan_period_days == 28
    assert rules_for(net.a2, "jeugd", "dvd").loan_period_days == 7  # nearer node wins
    assert rules_for(net.a1, "jeugd", "dvd").loan_period_days == 28
    assert rules_for(net.b1, "jeugd", "dvd").loan_period_days == 21
    assert rules_for(net.b1, "", None).fine_per_day == Decimal("0.25")


def test_open_day_function_agrees_with_the_network_calendar(world):
    net = world.net
    Closure.objects.create(
        node=net.lib_a, start_date=dt.date(2026, 12, 24), end_date=dt.date(2026, 12, 28)
    )
    Closure.objects.create(
        node=net.a1, start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 1, 2)
    )
    Closure.objects.create(
        node=net.net, start_date=dt.date(2027, 1, 5), end_date=dt.date(2027, 1, 5)
    )
    open_day = open_day_function(net.a1)
    for offset in range(45):
        day = TODAY + dt.timedelta(days=offset)
        assert open_day(day) == next_open_day(net.a1, day, include_start=True), day
    assert open_day_function(net.depot)(TODAY) is None  # no opening hours at all


def test_patron_counts_in_one_query(world):
    net = world.net
    register_guest(
        patron=world.patron,
        organisation=net.lib_b,
        category=category(net.net, "basis"),
        card_barcode="GUEST-B1",
    )
    dvd = make_record("Film", material_type="dvd")
    checkout(world)
    checkout(world, item=make_item(dvd, net.a1))
    checkout(world, item=make_item(dvd, net.b1), branch=net.b1, card="GUEST-B1")
    charge_fee(patron=world.patron, amount="2.50", now=NOW)
    block_patron(patron=world.patron, reason="Adres onbekend")
    wanted = make_record("Gewild")
    make_item(wanted, net.a1, status="on_loan")
    place_hold(record=wanted, patron=make_patron(net.lib_a), pickup_branch=net.a1, now=NOW)
    with CaptureQueriesContext(connection) as ctx:
        counts = patron_counts(
            world.patron,
            material_type="dvd",
            guest_path=net.lib_b.path,
            record_id=wanted.pk,
            item_id=None,
            others=True,
        )
    assert len(ctx.captured_queries) == 1
    assert (counts.loans, counts.loans_of_type) == (3, 2)
    assert (counts.guest_loans, counts.guest_loans_of_type) == (1, 1)
    assert counts.owed == Decimal("2.50") and counts.blocks == 1
    assert counts.own_waiting_hold is False and counts.others_need_copy is True
    assert counts.stamp == rules.read_stamp()


def test_guest_limit_per_material_type(world):
    net = world.net
    LoanRule.objects.create(
        node=net.lib_b, patron_category="basis", material_type="dvd", max_items_of_type=1
    )
    register_guest(
        patron=world.patron,
        organisation=net.lib_b,
        category=category(net.net, "basis"),
        card_barcode="GUEST-B1",
    )
    dvd = make_record("Film", material_type="dvd")
    checkout(world, item=make_item(dvd, net.a1))  # at home: not counted at B
    checkout(world, item=make_item(dvd, net.b1), branch=net.b1, card="GUEST-B1")
    with pytest.raises(errors.GuestLoanLimitReached) as exc:
        checkout(world, item=make_item(dvd, net.b1), branch=net.b1, card="GUEST-B1")
    assert exc.value.params["count"] == 1
    other = card_of(make_patron(net.lib_b))
    assert checkout(world, item=make_item(dvd, net.b1), branch=net.b1, card=other)
