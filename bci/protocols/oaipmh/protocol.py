"""OAI-PMH 2.0: parse a request's arguments, run the verb, answer with an XML document.

``respond(arguments, base_url=..., now=...)`` is independent of HTTP: ``arguments`` maps
each argument name to the list of its values (repeated arguments are an error, so the view
must keep them). Errors are OAI-PMH error elements in a normal response (HTTP 200).

Identifiers are ``oai:<repository identifier>:<record id>``; the repository identifier
is ``settings.BCI_OAI_REPOSITORY_ID`` (default ``bci-diensten.nl``). Datestamps are the
records' ``updated_at`` in UTC with second granularity; a tombstone (merged or withdrawn
record) keeps answering with ``status="deleted"`` for ever (deletedRecord = persistent).
"""

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from bci.catalogue.models import Record

from . import queries, tokens
from .metadata.dublin_core import OAI_DC_NS, OAI_DC_SCHEMA, oai_dc_string
from .metadata.marc import MARC_NS, MARC_SCHEMA, marcxml_string
from .metadata.xml_text import XSI_NS, Splicer, clean

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_ID_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"

METADATA_FORMATS = {
    "oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS),
    "marc21": (MARC_SCHEMA, MARC_NS),
}
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
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


def repository_id():
    return getattr(settings, "BCI_OAI_REPOSITORY_ID", "bci-diensten.nl")


def page_size(verb):
    if verb == "ListIdentifiers":
        return int(getattr(settings, "BCI_OAI_IDENTIFIERS_PER_PAGE", 1000))
    return int(getattr(settings, "BCI_OAI_RECORDS_PER_PAGE", 250))


def token_lifetime():
    return dt.timedelta(seconds=int(getattr(settings, "BCI_OAI_TOKEN_LIFETIME", 24 * 3600)))


def oai_identifier(record_id):
    return f"oai:{repository_id()}:{record_id}"


def record_id_from(identifier):
    prefix = f"oai:{repository_id()}:"
    if not identifier.startswith(prefix):
        return None
    local = identifier[len(prefix) :]
    return int(local) if local.isascii() and local.isdigit() and len(local) < 19 else None


def datestamp(value):
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class OaiError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Answer:
    """The verb element (or errors) plus the request attributes to echo."""

    errors: list = field(default_factory=list)
    body: ET.Element | None = None
    echo: dict = field(default_factory=dict)


# --- arguments ------------------------------------------------------------------------------


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


# --- verbs ----------------------------------------------------------------------------------


def identify(values, *, base_url, now, **_):
    root = ET.Element("Identify")
    earliest = queries.earliest_datestamp() or now
    for name, text in (
        ("repositoryName", getattr(settings, "BCI_OAI_REPOSITORY_NAME", "BCI shared catalogue")),
        ("baseURL", base_url),
        ("protocolVersion", "2.0"),
        (
            "adminEmail",
            getattr(settings, "BCI_OAI_ADMIN_EMAIL", None)
            or getattr(settings, "DEFAULT_FROM_EMAIL", "")
            or "webmaster@localhost",
        ),
        ("earliestDatestamp", datestamp(earliest)),
        ("deletedRecord", "persistent"),
        ("granularity", GRANULARITY),
    ):
        ET.SubElement(root, name).text = text
    description = ET.SubElement(root, "description")
    ident = ET.SubElement(description, "oai-identifier")
    ident.set("xmlns", OAI_ID_NS)
    ident.set("xmlns:xsi", XSI_NS)
    ident.set("xsi:schemaLocation", f"{OAI_ID_NS} {OAI_ID_SCHEMA}")
    ET.SubElement(ident, "scheme").text = "oai"
    ET.SubElement(ident, "repositoryIdentifier").text = repository_id()
    ET.SubElement(ident, "delimiter").text = ":"
    ET.SubElement(ident, "sampleIdentifier").text = oai_identifier(1)
    return root


def _existing_record(identifier, *, fields=("id",)):
    record_id = record_id_from(identifier)
    record = None
    if record_id is not None:
        record = Record.objects.filter(pk=record_id).only(*fields).first()
    if record is None:
        raise OaiError("idDoesNotExist", f"No record has the identifier {clean(identifier)!r}.")
    return record


def list_metadata_formats(values, **_):
    if "identifier" in values:
        _existing_record(values["identifier"])  # every record is available in every format
    root = ET.Element("ListMetadataFormats")
    for prefix, (schema, namespace) in METADATA_FORMATS.items():
        fmt = ET.SubElement(root, "metadataFormat")
        ET.SubElement(fmt, "metadataPrefix").text = prefix
        ET.SubElement(fmt, "schema").text = schema
        ET.SubElement(fmt, "metadataNamespace").text = namespace
    return root


def list_sets(values, **_):
    if "resumptionToken" in values:
        raise OaiError("badResumptionToken", "ListSets answers in one response; no token exists.")
    root = ET.Element("ListSets")
    for oai_set in queries.all_sets():
        node = ET.SubElement(root, "set")
        ET.SubElement(node, "setSpec").text = oai_set.spec
        ET.SubElement(node, "setName").text = clean(oai_set.name)
    return root


def _check_prefix(prefix):
    if prefix not in METADATA_FORMATS:
        raise OaiError(
            "cannotDisseminateFormat",
            f"{clean(prefix)!r} is not a metadata format here; use oai_dc or marc21.",
        )


def _header(parent, record, sets):
    header = ET.SubElement(parent, "header")
    if record.deleted_at is not None:
        header.set("status", "deleted")
    ET.SubElement(header, "identifier").text = oai_identifier(record.id)
    ET.SubElement(header, "datestamp").text = datestamp(record.updated_at)
    for spec in sets:
        ET.SubElement(header, "setSpec").text = spec
    return header


def _metadata(record, prefix, data):
    if prefix == "marc21":
        return marcxml_string(
            record.marc,
            data.holdings.get(record.id, ()),
            fallback_title=record.title,
            record_id=record.id,
            schema_location=True,
        )
    return oai_dc_string(record, data.identifiers.get(record.id, ()))


def _record(parent, record, prefix, data, splicer):
    node = ET.SubElement(parent, "record")
    _header(node, record, data.sets.get(record.id, ()))
    if record.deleted_at is None:
        splicer.add(ET.SubElement(node, "metadata"), _metadata(record, prefix, data))
    return node


def get_record(values, *, splicer, **_):
    _check_prefix(values["metadataPrefix"])
    record = _existing_record(values["identifier"], fields=queries.RECORD_FIELDS)
    data = queries.page_data([record], want_identifiers=values["metadataPrefix"] == "oai_dc")
    root = ET.Element("GetRecord")
    _record(root, record, values["metadataPrefix"], data, splicer)
    return root


def _list(verb, values, *, now, splicer):
    if "resumptionToken" in values:
        try:
            state = tokens.decode(values["resumptionToken"], verb=verb, now=now)
        except tokens.BadToken as exc:
            raise OaiError("badResumptionToken", str(exc)) from exc
        prefix, set_spec = state["p"], state["s"]
        from_arg, until_arg = state["f"], state["u"]
        after, cursor, size = state["after"], state["c"], state["n"]
    else:
        prefix, set_spec = values["metadataPrefix"], values.get("set")
        from_arg, until_arg = values.get("from"), values.get("until")
        after, cursor, size = None, 0, None
        _check_prefix(prefix)
    from_dt, until_before = date_bounds(from_arg, until_arg)
    organisation_ids = None
    if set_spec is not None:
        if not queries.SET_SPEC.match(set_spec):
            raise OaiError("badArgument", f"set={clean(set_spec)!r} is not a setSpec.")
        organisation_ids = queries.set_organisation_ids(set_spec)
        if organisation_ids is None:
            raise OaiError("noRecordsMatch", f"There is no set {set_spec!r}.")
    selection = queries.records_in(
        organisation_ids=organisation_ids, from_dt=from_dt, until_before=until_before
    )
    if size is None:
        size = selection.count()
        if size == 0:
            raise OaiError("noRecordsMatch", "No records match these arguments.")
    per_page = page_size(verb)
    if verb == "ListIdentifiers":
        fields = queries.HEADER_FIELDS
    else:
        fields = queries.MARC_FIELDS if prefix == "marc21" else queries.RECORD_FIELDS
    records = queries.page_after(selection, after=after, size=per_page, fields=fields)
    more = len(records) > per_page
    records = records[:per_page]
    if not records and after is None:
        raise OaiError("noRecordsMatch", "No records match these arguments.")
    data = queries.page_data(
        records,
        want_holdings=verb == "ListRecords" and prefix == "marc21",
        want_identifiers=verb == "ListRecords" and prefix == "oai_dc",
    )
    root = ET.Element(verb)
    for record in records:
        if verb == "ListRecords":
            _record(root, record, prefix, data, splicer)
        else:
            _header(root, record, data.sets.get(record.id, ()))
    if after is not None or more:
        token = ET.SubElement(root, "resumptionToken")
        # The count is taken when the list starts; records changed during the harvest move
        # to its end (keyset order), so the list may grow: never report fewer than sent.
        sent = cursor + len(records)
        token.set("completeListSize", str(max(size, sent + (1 if more else 0))))
        token.set("cursor", str(cursor))
        if more:
            last = records[-1]
            value, expires = tokens.encode(
                verb=verb,
                prefix=prefix,
                set_spec=set_spec,
                from_arg=from_arg,
                until_arg=until_arg,
                after=(last.updated_at, last.id),
                cursor=sent,
                size=size,
                lifetime=token_lifetime(),
                now=now,
            )
            token.set("expirationDate", datestamp(expires))
            token.text = value
    return root


HANDLERS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": lambda values, now, splicer, **_: _list(
        "ListIdentifiers", values, now=now, splicer=splicer
    ),
    "ListRecords": lambda values, now, splicer, **_: _list(
        "ListRecords", values, now=now, splicer=splicer
    ),
}


def run(arguments, *, base_url, now, splicer):
    answer = Answer()
    try:
        verb, values = check_arguments(arguments)
    except OaiError as exc:  # badVerb/badArgument: the request element carries no attributes
        answer.errors.append(exc)
        return answer
    answer.echo = {"verb": verb, **values}
    try:
        answer.body = HANDLERS[verb](values, base_url=base_url, now=now, splicer=splicer)
    except OaiError as exc:
        answer.errors.append(exc)
        if exc.code == "badArgument":
            answer.echo = {}
    return answer


def respond(arguments, *, base_url, now=None):
    """The response document (bytes, UTF-8) for one OAI-PMH request."""
    now = now or timezone.now()
    splicer = Splicer()
    answer = run(arguments, base_url=base_url, now=now, splicer=splicer)
    root = ET.Element("OAI-PMH")
    root.set("xmlns", OAI_NS)
    root.set("xmlns:xsi", XSI_NS)
    root.set("xsi:schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    ET.SubElement(root, "responseDate").text = datestamp(now)
    request = ET.SubElement(root, "request")
    request.text = base_url
    for name, value in answer.echo.items():
        request.set(name, clean(value))
    for error in answer.errors:
        node = ET.SubElement(root, "error")
        node.set("code", error.code)
        node.text = clean(error.message)
    if answer.body is not None:
        root.append(answer.body)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + splicer.tostring(root).encode("utf-8")
