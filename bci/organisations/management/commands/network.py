"""``bci network [--json]``: the network tree, for operators (a tree) and scripts (JSON)."""

import json as jsonlib

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from bci.organisations.models import Node


def network_tree():
    """The whole tree as nested dicts: [{"code", "kind", "name", "children": [...]}]."""
    entries, roots = {}, []
    for node in Node.objects.order_by("path").values("id", "parent_id", "code", "kind", "name"):
        entry = {"code": node["code"], "kind": node["kind"], "name": node["name"], "children": []}
        entries[node["id"]] = entry
        parent = entries.get(node["parent_id"])
        (parent["children"] if parent else roots).append(entry)
    return roots


class Command(BaseCommand):
    help = "Print the network tree with each node's code, kind and name."

    def add_arguments(self, parser):
        parser.add_argument(
            "--json",
            action="store_true",
            help='nested JSON list: [{"code", "kind", "name", "children": [...]}]',
        )

    def handle(self, *args, json: bool = False, **options):  # noqa: A002
        roots = network_tree()
        if json:
            self.stdout.write(_dumps(roots))
            return
        console = Console(file=self.stdout._out, soft_wrap=True)
        if not roots:
            console.print("The network is empty: load one with `bci import-network FILE.csv`.")
            return
        for root in roots:
            tree = Tree(_label(root))
            _grow(tree, root["children"])
            console.print(tree)


def _dumps(value):
    return jsonlib.dumps(value, ensure_ascii=False, indent=2)


def _label(entry):
    return f"[bold]{escape(entry['code'])}[/] [dim]{entry['kind']}[/] {escape(entry['name'])}"


def _grow(tree, children):
    for child in children:
        _grow(tree.add(_label(child)), child["children"])
