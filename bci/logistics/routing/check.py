"""Verify a plan without trusting whoever made it: re-drive every route from the problem's
own distances and windows and list every violation. An empty list means the plan holds."""

TOLERANCE_MIN = 0.5  # rounding between solver seconds and our minutes


def check_plan(problem, plan):
    problems = []
    vans = {v.name: v for v in problem.vans}
    used = {}
    seen = {}
    for n, route in enumerate(plan.routes, 1):
        van = vans.get(route.van)
        if van is None:
            problems.append(f"route {n}: unknown van type {route.van!r}")
            continue
        used[van.name] = used.get(van.name, 0) + 1
        load = sum(problem.stop(p.code).deliver for p in route.stops)
        if load > van.capacity:
            problems.append(
                f"route {n}: leaves the depot with {load} crates, capacity {van.capacity}"
            )
        t, here, km = route.start, problem.depot.code, 0.0
        if route.start < van.shift_start - TOLERANCE_MIN:
            problems.append(f"route {n}: starts before the shift")
        for p in route.stops:
            stop = problem.stop(p.code)
            seen[p.code] = seen.get(p.code, 0) + 1
            km += problem.km(here, p.code)
            t = max(t + problem.minutes(here, p.code), stop.opens)
            if t > stop.closes + TOLERANCE_MIN:
                problems.append(
                    f"route {n}: reaches {p.code} at {hhmm(t)}, after its "
                    f"window closes at {hhmm(stop.closes)}"
                )
            load += stop.collect - stop.deliver
            if load > van.capacity:
                problems.append(
                    f"route {n}: {load} crates on board after {p.code}, capacity {van.capacity}"
                )
            t += problem.service_minutes(stop)
            here = p.code
        km += problem.km(here, problem.depot.code)
        t += problem.minutes(here, problem.depot.code)
        if t > van.shift_end + TOLERANCE_MIN:
            problems.append(
                f"route {n}: back at the depot at {hhmm(t)}, after the shift "
                f"ends at {hhmm(van.shift_end)}"
            )
        if abs(km - route.km) > 0.01 * max(1.0, km):
            problems.append(f"route {n}: claims {route.km:.1f} km, drives {km:.1f} km")
    for name, count in used.items():
        if count > vans[name].count:
            problems.append(f"{count} routes for van type {name}, only {vans[name].count}")
    for code, count in seen.items():
        if count > 1:
            problems.append(f"{code} is visited {count} times")
    unserved = set(plan.unserved)
    for stop in problem.stops:
        if stop.code not in seen and stop.code not in unserved:
            problems.append(f"{stop.code} is neither visited nor listed as unserved")
        if stop.code in seen and stop.code in unserved:
            problems.append(f"{stop.code} is visited and also listed as unserved")
    return problems


def hhmm(minutes):
    """Minutes since midnight as HH:MM (also used by the pages and plan files)."""
    m = round(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"
