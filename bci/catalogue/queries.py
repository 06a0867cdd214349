"""Reads of the catalogue worth a name."""

from .models import ImportRun, MergeLog


def merges(*, library=None, include_undone=False, limit=None):
    """Merge log rows, newest first; ``library`` keeps merges whose moved items belong to
    that organisation or whose survivor holds its items."""
    qs = MergeLog.objects.select_related("survivor", "merged").order_by("-merged_at", "-id")
    if not include_undone:
        qs = qs.filter(undone_at__isnull=True)
    if library is not None:
        qs = qs.filter(survivor__items__owner=library).distinct()
    return qs[:limit] if limit else qs


def import_runs(*, library=None, unfinished=False):
    qs = ImportRun.objects.select_related("library").order_by("-started_at")
    if library is not None:
        qs = qs.filter(library=library)
    if unfinished:
        qs = qs.filter(finished_at__isnull=True)
    return qs
