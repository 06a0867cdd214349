"""Writes to the network tree.

``import_network`` loads or updates the whole tree from a CSV in the shape of
``bci/demo/data/network-nl.csv`` (see docs/operations.md, "Loading your own network").
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from bci.core.events import record_event

from .errors import NetworkImportError
from .models import Node
from .network_csv.parsing import validate as validate_network_csv
from .network_csv.shape import DEFAULT_NETWORK_CODE, DEFAULT_NETWORK_NAME, NATIONAL


@dataclass
class ImportResult:
    """What an import did. ``created``/``updated``/``unchanged`` count nodes by kind."""

    rows: int = 0
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    network: Node | None = None
    codes: list = field(default_factory=list)  # location codes in file order

    @property
    def changed(self):
        return sum(self.created.values()) + sum(self.updated.values())


# --- writing ------------------------------------------------------------------------------

_COMPARED = (
    "kind",
    "parent_id",
    "name",
    "province",
    "town",
    "address",
    "postcode",
    "latitude",
    "longitude",
    "population",
    "source_note",
)


def _upsert(code, values, *, line, result, existing):
    """Create or update the node ``code``; count what happened in ``result``."""
    node = existing.get(code)
    kind = values["kind"]
    if node is None:
        node = Node(code=code, **values)
        _check_parent(node, line)
        node.save()
        existing[code] = node
        result.created[kind] += 1
        return node
    if node.kind != kind and not (
        node.kind in Node.Kind.location_kinds() and kind in Node.Kind.location_kinds()
    ):
        raise NetworkImportError(
            line=line,
            column="code",
            problem=_("code %(code)s already belongs to a %(kind)s")
            % {"code": code, "kind": node.get_kind_display()},
        )
    before = {f: getattr(node, f) for f in _COMPARED}
    for name, value in values.items():
        setattr(node, name, value)
    after = {f: getattr(node, f) for f in _COMPARED}
    if before == after:
        result.unchanged[kind] += 1
        return node
    _check_parent(node, line)
    node.save()
    result.updated[kind] += 1
    return node


def _check_parent(node, line):
    from django.core.exceptions import ValidationError

    try:
        node.clean()
    except ValidationError as exc:
        raise NetworkImportError(
            line=line, column="kind", problem="; ".join(exc.messages)
        ) from None


@transaction.atomic
def import_network(*, file=None, rows=None, by, now=None, network_code=None, network_name=None):
    """Load or update the network tree from a CSV (a path, an open text file, or ``rows``:
    a list of dicts keyed by column name). One transaction: a refused file changes nothing.

    Nodes are matched by code, so importing the same file twice changes nothing and an
    edited file (renamed branch with an explicit ``code``, moved coordinates, a branch
    that moved to another organisation) updates the tree in place. Nodes missing from
    the file are left alone. Raises NetworkImportError naming the line and the column.
    """
    parsed, columns = validate_network_csv(file, rows)
    result = ImportResult(rows=len(parsed))
    codes = (
        {r.code for r in parsed}
        | {r.organisation_code for r in parsed}
        | {r.poi_code for r in parsed}
    )
    existing = {n.code: n for n in Node.objects.filter(code__in=codes - {""})}

    network = Node.objects.select_for_update().filter(kind=Node.Kind.NETWORK).first()
    if network is None:
        network = Node(
            kind=Node.Kind.NETWORK,
            code=network_code or DEFAULT_NETWORK_CODE,
            name=network_name or DEFAULT_NETWORK_NAME,
        )
        if Node.objects.filter(code=network.code).exists():
            raise NetworkImportError(
                line=1,
                column="-",
                problem=_("the network code %(code)s is taken") % {"code": network.code},
            )
        network.save()
        result.created[Node.Kind.NETWORK] += 1
    else:
        changed = False
        if network_code and network.code != network_code:
            network.code, changed = network_code, True
        if network_name and network.name != network_name:
            network.name, changed = network_name, True
        if changed:
            network.save()
            result.updated[Node.Kind.NETWORK] += 1
        else:
            result.unchanged[Node.Kind.NETWORK] += 1
    result.network = network

    # POIs and organisations: one node each, described by their first row (organisations
    # by their main branch's row when there is one).
    poi_rows, org_rows = {}, {}
    for row in parsed:
        if row.poi_code:
            poi_rows.setdefault(row.poi_code, []).append(row)
        if row.kind in Node.Kind.lending_kinds():
            org_rows.setdefault(row.organisation_code, []).append(row)

    done = set()
    for poi_code, group in poi_rows.items():
        provinces = {r.province for r in group}
        _upsert(
            poi_code,
            {
                "kind": Node.Kind.POI,
                "parent": network,
                "name": group[0].poi,
                "province": provinces.pop() if len(provinces) == 1 else "",
            },
            line=group[0].line,
            result=result,
            existing=existing,
        )
        done.add(poi_code)
    for org_code, group in org_rows.items():
        lead = next((r for r in group if r.kind == Node.Kind.MAIN_BRANCH), group[0])
        if org_code in done:
            raise NetworkImportError(
                line=lead.line,
                column="organisation",
                problem=_("code %(code)s is also a POI's code") % {"code": org_code},
            )
        values = {
            "kind": Node.Kind.ORGANISATION,
            "parent": existing[lead.poi_code],
            "name": lead.organisation,
            "province": lead.province,
            "town": lead.town,
        }
        if "population" in columns:  # an organisation serves its locations' inhabitants
            given = [r.population for r in group if r.population is not None]
            values["population"] = sum(given) if given else None
        _upsert(org_code, values, line=lead.line, result=result, existing=existing)
        done.add(org_code)

    # Optional columns that are absent leave what is stored (edited in the admin) alone.
    optional = [c for c in ("address", "postcode", "population") if c in columns]
    for row in parsed:
        if row.code in done:
            raise NetworkImportError(
                line=row.line,
                column="code",
                problem=_("code %(code)s is also an organisation's or POI's code")
                % {"code": row.code},
            )
        if row.kind in Node.Kind.lending_kinds():
            parent = existing[row.organisation_code]
        elif row.poi.lower() == NATIONAL:
            parent = network
        else:
            parent = existing[row.poi_code]
        values = {
            "kind": row.kind,
            "parent": parent,
            "name": row.branch,
            "province": row.province,
            "town": row.town,
            "latitude": row.lat,
            "longitude": row.lon,
            "source_note": row.confidence,
            **{column: getattr(row, column) for column in optional},
        }
        _upsert(row.code, values, line=row.line, result=result, existing=existing)
        result.codes.append(row.code)

    if result.changed:
        record_event(
            "network.imported",
            subject=network,
            by=by,
            now=now,
            rows=result.rows,
            created=dict(result.created),
            updated=dict(result.updated),
        )
    return result
