"""bci merges list | bci merges undo ID: the de-duplication merge log."""

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from bci.catalogue.errors import MergeAlreadyUndone
from bci.catalogue.models import MergeLog
from bci.catalogue.queries import merges
from bci.catalogue.services import undo_merge
from bci.organisations.models import Node


class Command(BaseCommand):
    help = "List de-duplication merges, or undo one (the merged record and its items return)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="list merges, newest first")
        listing.add_argument("--library", help="only merges touching this organisation")
        listing.add_argument("--all", action="store_true", help="include undone merges")
        listing.add_argument("--limit", type=int, default=50)
        undo = sub.add_parser("undo", help="undo one merge")
        undo.add_argument("merge_id", type=int)

    def handle(self, *args, **opts):
        console = Console()
        if opts["action"] == "list":
            library = None
            if opts.get("library"):
                library = Node.objects.filter(code=opts["library"]).first()
                if library is None:
                    raise CommandError(f"No node with code {opts['library']!r}.")
            table = Table(title="merges")
            for column in ("id", "when", "on", "value", "survivor", "merged", "items", "undone"):
                table.add_column(column)
            rows = merges(library=library, include_undone=opts["all"], limit=opts["limit"])
            for m in rows:
                table.add_row(
                    str(m.pk),
                    f"{m.merged_at:%Y-%m-%d %H:%M}",
                    m.matched_on,
                    m.match_value[:30],
                    f"{m.survivor_id} {m.survivor.title[:30]}",
                    f"{m.merged_id} {m.merged.title[:30]}",
                    str(len(m.moved_item_ids)),
                    f"{m.undone_at:%Y-%m-%d}" if m.undone_at else "",
                )
            console.print(table)
            return
        merge = MergeLog.objects.filter(pk=opts["merge_id"]).first()
        if merge is None:
            raise CommandError(f"No merge with id {opts['merge_id']}.")
        try:
            undo_merge(merge=merge, by="merges-undo")
        except MergeAlreadyUndone as exc:
            raise CommandError(str(exc)) from None
        console.print(
            f"Merge {merge.pk} undone: record {merge.merged_id} is back with "
            f"{len(merge.moved_item_ids)} item(s); record {merge.survivor_id} refreshed."
        )
