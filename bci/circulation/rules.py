"""Resolved loan rules, cached per process.

Every check-out, renewal and capture needs the loan terms resolved for a node, a patron
category and a material type (policies.resolve_rule: nearest ancestor wins, field by
field). The rule rows change rarely (the admin), so this module keeps the whole rule
table in memory with the terms resolved per (node path, category, material type), and
notices a change through a *stamp* read from the database:

- every save or delete of a LoanRule (admin, services, fixtures, the demo seed) appends a
  ``loan_rule.changed`` event in the same transaction (an audit trail as well);
- the stamp is (number of those events, highest id among them): one cheap indexed read,
  which a caller can fold into a query it runs anyway (``STAMP_SQL``; the check-out reads
  it with the patron's counts). A stamp other than the cached one reloads the table.

Other processes (the SIP2 server, API workers) thus see a committed change at their next
read of the stamp; the saving process also drops its cache at once. Changing rules with
``QuerySet.update()`` or raw SQL bypasses the events and is not supported.
"""

import threading
from types import SimpleNamespace

from django.db import connection, transaction
from django.db.models import IntegerField
from django.db.models.expressions import RawSQL

from .models import LoanRule
from .policies import resolve_rule

RULES_CHANGED = "loan_rule.changed"


def _event_table():
    from bci.core.models import Event

    return connection.ops.quote_name(Event._meta.db_table)


def _stamp_subqueries():
    """The stamp's two scalar subqueries (count, max id); each takes ``[RULES_CHANGED]``."""
    table = _event_table()
    return (
        f"SELECT COUNT(*) FROM {table} WHERE kind = %s",
        f"SELECT MAX(id) FROM {table} WHERE kind = %s",
    )


def stamp_sql():
    """The stamp for a SELECT list (two columns); params: ``stamp_params()``; read the
    columns back with ``as_stamp``."""
    return ", ".join(f"({sql})" for sql in _stamp_subqueries())


def stamp_params():
    return [RULES_CHANGED, RULES_CHANGED]


def as_stamp(count, last):
    """The stamp from its two columns as read."""
    return (int(count or 0), last)


def stamp_annotations():
    """The stamp as two annotations for an ORM query the caller runs anyway; read it back
    with ``annotated_stamp(row)``."""
    count, last = _stamp_subqueries()
    return {
        "rule_stamp_n": RawSQL(count, [RULES_CHANGED], IntegerField()),
        "rule_stamp_id": RawSQL(last, [RULES_CHANGED], IntegerField()),
    }


def annotated_stamp(row):
    return as_stamp(row.rule_stamp_n, row.rule_stamp_id)


def read_stamp():
    """The current stamp of the rule table (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {stamp_sql()}", stamp_params())
        return as_stamp(*cursor.fetchone())


class RuleBook:
    """The rule table as of one stamp, resolving (and memoising) terms on demand."""

    def __init__(self, stamp):
        self.stamp = stamp
        self.rows = [
            {
                "pk": row["id"],
                **row,
            }
            for row in LoanRule.objects.order_by().values(
                "id", "node_id", "patron_category", "material_type", *LoanRule.RULE_FIELDS
            )
        ]
        self._resolved = {}
        self._lock = threading.Lock()

    def get(self, node, category, material_type):
        """The resolved terms on ``node`` for ``category`` x ``material_type`` (None: the
        patron-wide terms, e.g. max items). The node's ancestors come from its path, so a
        node moved in the tree resolves afresh."""
        key = (node.path, category or "", material_type)
        rule = self._resolved.get(key)
        if rule is None:
            depth = {node_id: i for i, node_id in enumerate(node.ancestor_ids())}
            rows = [
                SimpleNamespace(**row, node_depth=depth[row["node_id"]])
                for row in self.rows
                if row["node_id"] in depth
            ]
            rule = resolve_rule(rows, category=category or "", material_type=material_type)
            with self._lock:
                self._resolved[key] = rule
        return rule


_book = None
_book_lock = threading.Lock()


def rulebook(stamp=None):
    """The rule book for ``stamp`` (read from the database when not given)."""
    global _book
    if stamp is None:
        stamp = read_stamp()
    book = _book
    if book is None or book.stamp != stamp:
        book = RuleBook(stamp)  # rows read after the stamp: never older than it
        with _book_lock:
            _book = book
    return book


def forget():
    """Drop the cached rule book (the next read reloads the table)."""
    global _book
    with _book_lock:
        _book = None


def rule_changed(sender, instance, **kwargs):
    """post_save / post_delete of a LoanRule: record the change and forget the cache, now
    and again after commit (a book cached meanwhile may hold uncommitted rows)."""
    from bci.core.events import record_event

    deleted = "created" not in kwargs
    record_event(
        RULES_CHANGED,
        subject=None if deleted else instance,
        node=instance.node_id,
        patron_category=instance.patron_category,
        material_type=instance.material_type,
        action="deleted" if deleted else ("created" if kwargs.get("created") else "changed"),
        rule=instance.pk,
    )
    forget()
    transaction.on_commit(forget)
