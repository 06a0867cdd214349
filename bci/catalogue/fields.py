"""Helpers for the fields extracted into a Record (shared by the index and the pages)."""


def names(values):
    """Authors and subjects are stored as strings or as {"name": ...} objects: the plain,
    distinct, non-empty names in order."""
    out = []
    for value in values or ():
        if isinstance(value, dict):
            value = value.get("name") or value.get("value") or ""
        value = str(value).strip()
        if value and value not in out:
            out.append(value)
    return out
