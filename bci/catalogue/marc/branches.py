"""Where imported items live: holdings branch codes -> locations of the library."""

import csv
import hashlib
from pathlib import Path

from bci.organisations.models import Node


class ImportSetupError(ValueError):
    """Bad options: unknown library or branch, unreadable branch map."""


class BranchResolver:
    """Maps the branch/location code of a holdings field to a location Node of the library.

    Order: the explicit map (source code -> node code), a node code of the library equal to
    the source code (case-insensitive), the default branch (``default_branch`` or the
    organisation's main branch, else its first lending location)."""

    def __init__(self, library, branch_map=None, default_branch=None):
        nodes = list(Node.objects.descendants_of(library).branches().order_by("path"))
        if not nodes:
            raise ImportSetupError(f"library {library.code} has no branches")
        self.by_code = {n.code.upper(): n for n in nodes}
        self.map = {}
        for source, target in (branch_map or {}).items():
            node = self.by_code.get(str(target).strip().upper())
            if node is None:
                raise ImportSetupError(f"branch map: {target!r} is not a branch of {library.code}")
            self.map[str(source).strip().upper()] = node
        if default_branch:
            self.default = self.by_code.get(default_branch.strip().upper())
            if self.default is None:
                raise ImportSetupError(
                    f"default branch {default_branch!r} is not a branch of {library.code}"
                )
        else:
            mains = [n for n in nodes if n.kind == Node.Kind.MAIN_BRANCH]
            self.default = (mains or nodes)[0]

    def resolve(self, code):
        key = (code or "").strip().upper()
        return self.map.get(key) or self.by_code.get(key) or self.default


def read_branch_map(path):
    """A CSV of ``source_code,node_code`` lines (a header line is allowed)."""
    mapping = {}
    try:
        with Path(path).open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                if len(row) < 2 or not row[0].strip() or row[0].strip().lower() == "source":
                    continue
                mapping[row[0].strip()] = row[1].strip()
    except OSError as exc:
        raise ImportSetupError(f"cannot read branch map {path}: {exc}") from None
    return mapping


def sha256_of(path):
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
