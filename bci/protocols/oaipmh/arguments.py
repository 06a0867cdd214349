"""Checking an OAI-PMH request's arguments: the verb, required, optional and exclusive
arguments, and the from/until dates."""

import datetime as dt
import re

from .metadata.xml_text import clean
from .repository import GRANULARITY, OaiError

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

# verb -> (required, optional, exclusive) arguments
VERBS = {
    "Identify": ((), (), None),
    "ListMetadataFormats": ((), ("identifier",), None),
    "ListSets": ((), (), "resumptionToken"),
    "GetRecord": (("identifier", "metadataPrefix"), (), None),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
}


def _parse_date(value, name):
    """(lower-inclusive datetime, granularity) of an OAI date argument; OaiError otherwise."""
    if DAY.match(value):
        fmt, granularity = "%Y-%m-%d", "day"
    elif SECOND.match(value):
        fmt, granularity = "%Y-%m-%dT%H:%M:%SZ", "second"
    else:
        raise OaiError(
            "badArgument", f"{name}={value!r} is not a date in YYYY-MM-DD or {GRANULARITY}."
        )
    try:
        moment = dt.datetime.strptime(value, fmt).replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise OaiError("badArgument", f"{name}={value!r} is not a valid date.") from exc
    return moment, granularity


def date_bounds(from_arg, until_arg):
    """(from datetime or None, exclusive upper datetime or None). Bounds are inclusive:
    until=2024-05-01 includes the whole day, until=...T10:00:00Z the whole second."""
    from_dt = until_before = None
    granularities = set()
    if from_arg is not None:
        from_dt, g = _parse_date(from_arg, "from")
        granularities.add(g)
    if until_arg is not None:
        until_dt, g = _parse_date(until_arg, "until")
        granularities.add(g)
        step = dt.timedelta(days=1) if g == "day" else dt.timedelta(seconds=1)
        until_before = until_dt + step
        if from_dt is not None and len(granularities) == 1 and from_dt > until_dt:
            raise OaiError("badArgument", "from is later than until.")
    if len(granularities) > 1:
        raise OaiError("badArgument", "from and until must have the same granularity.")
    return from_dt, until_before


def check_arguments(arguments):
    """(verb, {name: value}) or raises OaiError(badVerb|badArgument)."""
    verbs = arguments.get("verb") or []
    if len(verbs) != 1:
        raise OaiError(
            "badVerb", "The verb argument is missing." if not verbs else "The verb is repeated."
        )
    verb = verbs[0]
    if verb not in VERBS:
        raise OaiError("badVerb", f"{clean(verb)!r} is not an OAI-PMH verb.")
    required, optional, exclusive = VERBS[verb]
    problems = []
    values = {}
    for name, given in arguments.items():
        if name == "verb":
            continue
        if name not in required and name not in optional and name != exclusive:
            problems.append(f"{clean(name)!r} is not an argument of {verb}.")
        elif len(given) != 1:
            problems.append(f"The argument {name} is repeated.")
        else:
            values[name] = given[0]
    if problems:
        raise OaiError("badArgument", " ".join(problems))
    if exclusive and exclusive in values:
        if len(values) > 1:
            raise OaiError("badArgument", f"{exclusive} is an exclusive argument.")
        return verb, values
    missing = [name for name in required if name not in values]
    if missing:
        raise OaiError("badArgument", f"Missing required argument(s): {', '.join(missing)}.")
    return verb, values
