"""bci expire_holds: the daily run that expires holds and clears the hold shelves."""

from django.core.management.base import BaseCommand

from bci.circulation.services import expire_hold_shelf, expire_holds


class Command(BaseCommand):
    help = "Expire holds past their 'not needed after' date and holds not picked up in time."

    def handle(self, *args, **options):
        waiting = expire_holds()
        shelf = expire_hold_shelf()
        for hold, routing in shelf:
            if routing is not None and options["verbosity"] > 1:
                self.stdout.write(
                    f"{hold.pickup_branch.code} {routing.item.barcode}: {routing.message}"
                )
        if options["verbosity"]:
            self.stdout.write(f"{waiting} waiting holds expired, {len(shelf)} taken off the shelf")
