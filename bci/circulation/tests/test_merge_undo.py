"""A copy that leaves its title (a de-duplication merge undone) lets go of the holds of
the title it left."""

from django.utils import timezone

from bci.catalogue.models import MergeLog
from bci.catalogue.services import undo_merge
from bci.circulation.models import Hold
from bci.circulation.services import place_hold

from .factories import make_item, make_record


def test_undoing_a_merge_releases_holds_on_the_copies_that_leave(world):
    survivor = world.record
    merged = make_record("De avonden (dubbel)")
    merged.deleted_at, merged.merged_into = timezone.now(), survivor
    merged.save()
    moved = make_item(survivor, world.net.a2, barcode="CAME-WITH-MERGE")
    world.item.status = "on_loan"  # the survivor's own copy is out: the hold takes `moved`
    world.item.save(update_fields=["status"])
    hold = place_hold(record=survivor, pickup_branch=world.net.a2, patron=world.patron)
    hold.refresh_from_db()
    assert hold.copy == moved
    merge = MergeLog.objects.create(
        survivor=survivor, merged=merged, matched_on="isbn", moved_item_ids=[moved.pk]
    )

    undo_merge(merge=merge)

    hold.refresh_from_db()
    moved.refresh_from_db()
    assert moved.record == merged
    assert hold.record == survivor and hold.copy != moved
    assert hold.status in Hold.ACTIVE_STATUSES
