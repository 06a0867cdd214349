"""bci allocate-transport --poi CODE --month YYYY-MM: a month's transport cost per library."""

from django.core.management.base import BaseCommand, CommandError

from bci.core.errors import DomainError
from bci.logistics.costs import STREAMS, find_poi, parse_month, period_costs, rows, write_csv
from bci.logistics.routing.allocation import METHODS

LABELS = {
    "volume": "volume",
    "distance": "distance",
    "volume_distance": "vol x dist",
    "shapley": "Shapley",
    "fair_share": "fair share",
}


class Command(BaseCommand):
    help = (
        "Share a month's route cost of a POI among its library organisations by volume, "
        "distance, volume x distance, Shapley and the old fair share, with stand-alone costs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--poi", required=True)
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--samples", type=int, default=200, help="Shapley orders (sampled)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--workers", type=int, default=1, help="processes for a sampled Shapley value"
        )
        parser.add_argument("--time-limit", type=float, default=1.0, help="seconds a day")
        parser.add_argument("--csv", help="write one row per organisation to this file")

    def handle(self, *args, **options):
        if options["samples"] < 1:
            raise CommandError("--samples must be at least 1")
        if not 1 <= options["workers"] <= 32:
            raise CommandError("--workers must be between 1 and 32")
        if not 0 < options["time_limit"] <= 600:
            raise CommandError("--time-limit must be between 0 and 600 seconds")
        try:
            poi = find_poi(options["poi"])
            first, last = parse_month(options["month"])
            costs = period_costs(
                poi,
                first,
                last,
                time_limit=options["time_limit"],
                samples=options["samples"],
                seed=options["seed"],
                workers=options["workers"],
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        a = costs.allocation
        table = rows(costs)
        w = self.stdout.write
        w(
            f"{poi.code} {poi.name}, {first:%Y-%m}: {len(costs.days)} depot days, "
            f"route cost EUR {a.total:,.2f}, {len(a.organisations)} organisations"
        )
        if a.shapley_exact:
            shapley = "exact"
        else:
            errors = sorted(a.shapley_error.values())
            shapley = (
                f"sampled, {a.shapley_orders} orders, seed {options['seed']} (same seed, "
                f"same figures); standard error EUR {errors[0]:.2f}-{errors[-1]:.2f}"
            )
        w(f"Shapley value: {shapley}. * = charged more than serving it alone would cost.")
        header = f"{'organisation':<24}{'crates':>7}{'alone':>11}" + "".join(
            f"{LABELS[m]:>13}" for m in METHODS
        )
        w(header)
        for row in table:
            line = f"{row['organisation'][:23]:<24}{row['crates']:>7}{row['standalone']:>11.2f}"
            for m in METHODS:
                flag = "*" if row[f"{m}_over_standalone"] else " "
                line += f"{row[m]:>12.2f}{flag}"
            if not a.shapley_exact:
                line += f"  (Shapley +/- {row['shapley_error']:.2f})"
            w(line)
        for m in METHODS:
            over = a.over_standalone(m)
            w(f"{LABELS[m]:>12}: {len(over)} organisation(s) charged above stand-alone")
        w(
            "\nBy stream (Shapley): subsidised IBL | paid inside the organisation | "
            "supplier (new stock) | rotating collections | no items"
        )
        parts = [*STREAMS, "unattributed"]
        totals = dict.fromkeys(parts, 0.0)
        for row in table:
            line = f"{row['organisation'][:23]:<24}"
            for part in parts:
                totals[part] += row[f"shapley_{part}"]
                line += f"{row[f'shapley_{part}']:>12.2f}"
            w(line)
        w(f"{'total':<24}" + "".join(f"{totals[p]:>12.2f}" for p in parts))
        for warning in costs.warnings[:20]:
            w(self.style.WARNING(f"warning: {warning}"))
        if len(costs.warnings) > 20:
            w(self.style.WARNING(f"... and {len(costs.warnings) - 20} more warnings"))
        if options["csv"]:
            try:
                write_csv(options["csv"], table)
            except OSError as exc:
                raise CommandError(f"cannot write {options['csv']}: {exc.strerror}") from None
            w(f"Written {options['csv']}")
