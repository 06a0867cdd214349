"""bci plan-routes --depot CODE --date YYYY-MM-DD: the day's van routes of a POI depot,
kept in the database (the plan pages and the API read it there) and written as driver
sheets, a map and plan.json."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from bci.core.errors import DomainError
from bci.logistics.planning import find_depot, plan_day, read_matrix
from bci.logistics.plans import store_plan
from bci.logistics.render import plans_dir, write_plan_files


class Command(BaseCommand):
    help = (
        "Plan a depot's van routes for a day: routes with ETAs and crates, totals, the "
        "fixed-route baseline, the independent check; keeps the plan (replacing one no driver "
        "has scanned yet) and writes driver sheets and a map."
    )

    def add_arguments(self, parser):
        parser.add_argument("--depot", required=True, help="code of the POI depot")
        parser.add_argument("--date", required=True, help="YYYY-MM-DD")
        parser.add_argument("--time-limit", type=float, default=10.0, help="seconds")
        parser.add_argument("--out", help="folder (default var/plans/<depot>/<date>/)")
        parser.add_argument("--matrix", help="CSV from_code,to_code,km,minutes")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options):
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"--date {options['date']!r} is not YYYY-MM-DD") from None
        if not 0 < options["time_limit"] <= 3600:
            raise CommandError("--time-limit must be between 0 and 3600 seconds")
        try:
            depot = find_depot(options["depot"])
            matrix = read_matrix(options["matrix"]) if options["matrix"] else None
            result = plan_day(
                depot, day, time_limit=options["time_limit"], matrix=matrix, seed=options["seed"]
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        try:
            stored = store_plan(result, by="bci plan-routes")
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        out = options["out"] or plans_dir(depot.code, day)
        s = result.summary
        w = self.stdout.write
        w(f"{depot.code} {depot.name}, {day.isoformat()} ({day.strftime('%A')})")
        w(f"{s['stops']} stops, {s['crates_out']} crates to deliver, {s['crates_back']} to collect")
        for warning in result.input.warnings:
            w(self.style.WARNING(f"warning: {warning}"))
        for skip in result.input.skipped:
            if skip.reason == "closed that day" and not skip.crates:
                continue
            w(f"not planned: {skip.code} {skip.name}: {skip.reason}")
        for route in s["routes"]:
            w(
                f"\nVan {route['number']} ({route['van']}): {route['start']}-{route['end']}, "
                f"{route['km']} km, {route['hours']} h, {route['load_out']} crates out, "
                f"{route['crates_back']} back, EUR {route['cost']:.2f}"
            )
            for stop in route["stops"]:
                w(
                    f"  {stop['n']:>2}. {stop['start']}  {stop['code']:<14} {stop['name'][:40]:<40}"
                    f" off {stop['off']:>2}  on {stop['on']:>2}  window {stop['window']}"
                )
        w(
            f"\nTotal: {s['vans']} vans, {s['km']} km, {s['hours']} h, EUR {s['cost']:.2f}"
            f" (solved in {s['seconds']} s)"
        )
        if "baseline" in s:
            b, saving = s["baseline"], s["saving"]
            w(
                f"Fixed routes (sweep): {b['vans']} vans, {b['km']} km, {b['hours']} h, "
                f"EUR {b['cost']:.2f}"
                + (f", {len(b['unserved'])} stops not served" if b["unserved"] else "")
            )
            w(
                f"Saving: {saving['km']} km ({saving['km_percent']} %), "
                f"EUR {saving['cost']:.2f} ({saving['cost_percent']} %)"
            )
        if s["unserved"]:
            w(
                self.style.ERROR(
                    f"Not served (vans full or windows too tight): {', '.join(s['unserved'])}"
                )
            )
        if result.check:
            w(self.style.ERROR("Check FAILED:"))
            for problem in result.check:
                w(f"  {problem}")
        else:
            w("Check: every route holds (capacity, windows, shifts; every stop served or listed)")
        written = write_plan_files(out, result.input.problem, result.plan, s)
        w(f"Kept: the plan of {depot.code} for {day.isoformat()} ({stored.stops.count()} stops)")
        w(f"Written: {len(written) - 2} driver sheets, map and plan in {out}")
