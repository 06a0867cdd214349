"""Sorting for SRU: CQL ``sortBy`` and the SRU 1.x ``sortKeys`` parameter."""

from dataclasses import dataclass

from .diagnostics import Diagnostic
from .indexes import resolve_index

SORT_FIELDS = {"dc.title": "title", "dc.date": "date", "dc.creator": "creator"}


@dataclass(frozen=True)
class Sort:
    key: str  # title | date | creator
    descending: bool = False


def sort_from_cql(keys, prefixes=()):
    """The Sort of CQL ``sortBy`` keys (the first key; more keys are refused: 84)."""
    if not keys:
        return None
    if len(keys) > 1:
        raise Diagnostic(84, "1")
    key = keys[0]
    try:
        index = resolve_index(key.index, key.prefixes or prefixes)
    except Diagnostic as exc:
        raise Diagnostic(88, key.index) from exc
    if index not in SORT_FIELDS:
        raise Diagnostic(88, key.index)
    descending = False
    for mod in key.modifiers:
        name = mod.name.removeprefix("sort.")
        if name == "descending":
            descending = True
        elif name in ("ascending", "ignorecase", "ignoreaccents", "missinghigh", "missinglow"):
            continue
        elif name == "respectcase":
            raise Diagnostic(91, mod.name)
        else:
            raise Diagnostic(92 if name.startswith("missing") else 80, mod.name)
    return Sort(SORT_FIELDS[index], descending)


def sort_from_sort_keys(value):
    """SRU 1.x ``sortKeys``: "path,schema,ascending,caseSensitive,missingValue" ..."""
    keys = value.split()
    if not keys:
        return None
    if len(keys) > 1:
        raise Diagnostic(84, "1")
    parts = keys[0].split(",") + [""] * 5
    path, _schema, ascending, case, missing = parts[:5]
    try:
        index = resolve_index(path, ())
    except Diagnostic as exc:
        raise Diagnostic(88, path) from exc
    if index not in SORT_FIELDS:
        raise Diagnostic(88, path)
    if ascending not in ("", "1", "0", "true", "false"):
        raise Diagnostic(90, ascending)
    if case not in ("", "0", "false"):
        raise Diagnostic(91, case)
    if missing not in ("", "highValue", "lowValue", "omit"):
        raise Diagnostic(92, missing)
    return Sort(SORT_FIELDS[index], descending=ascending in ("0", "false"))
