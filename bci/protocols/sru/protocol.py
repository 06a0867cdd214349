"""SRU 1.2 and 2.0: explain and searchRetrieve.

``respond(arguments, base_url=...)`` is independent of HTTP; ``arguments`` maps each
parameter to the list of its values. A request's ``version`` means "this or lower": the
answer uses the highest supported version not above it (no version: 2.0). Diagnostics
(info:srw/diagnostic/1/N) travel in a normal response body.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from django.conf import settings

from bci.catalogue.models import Record
from bci.protocols.oaipmh import queries as record_queries
from bci.protocols.oaipmh.metadata.dublin_core import srw_dc_string
from bci.protocols.oaipmh.metadata.marc import marcxml_string
from bci.protocols.oaipmh.metadata.xml_text import Splicer, clean

from . import cql, explain
from . import search as cql_search
from .search import Diagnostic

VERSIONS = ("1.2", "2.0")
NS = {
    "1.2": {
        "response": "http://www.loc.gov/zing/srw/",
        "prefix": "srw",
        "diag": "http://www.loc.gov/zing/srw/diagnostic/",
    },
    "2.0": {
        "response": "http://docs.oasis-open.org/ns/search-ws/sruResponse",
        "prefix": "sruResponse",
        "diag": "http://docs.oasis-open.org/ns/search-ws/diagnostic",
    },
}
SCHEMAS = {
    "marcxml": ("info:srw/schema/1/marcxml-v1.1", "MARCXML (MARC 21 slim), items in 852"),
    "dc": ("info:srw/schema/1/dc-v1.1", "Dublin Core"),
}
SCHEMA_ALIASES = {
    "marcxml": "marcxml",
    "marc21": "marcxml",
    "marc": "marcxml",
    "info:srw/schema/1/marcxml-v1.1": "marcxml",
    "http://www.loc.gov/marc21/slim": "marcxml",
    "dc": "dc",
    "info:srw/schema/1/dc-v1.1": "dc",
    "info:srw/schema/1/dc-schema": "dc",
}
DEFAULT_SCHEMA = "marcxml"
KNOWN_PARAMETERS = {
    "operation",
    "version",
    "query",
    "queryType",
    "startRecord",
    "maximumRecords",
    "recordPacking",
    "recordXMLEscaping",
    "recordSchema",
    "resultSetTTL",
    "sortKeys",
    "stylesheet",
    "recordXPath",
    "httpAccept",
}


def default_records():
    return int(getattr(settings, "BCI_SRU_DEFAULT_RECORDS", 10))


def max_records():
    return int(getattr(settings, "BCI_SRU_MAX_RECORDS", 100))


MAX_START_RECORD = 100_000


def negotiate(value):
    """The version to answer with, or Diagnostic 5."""
    if value is None or value == "":
        return "2.0"
    try:
        major, _, minor = value.strip().partition(".")
        requested = (int(major), int(minor or 0))
    except ValueError:
        raise Diagnostic(5, VERSIONS[-1], f"Unsupported version {clean(value)!r}") from None
    usable = [v for v in VERSIONS if tuple(map(int, v.split("."))) <= requested]
    if not usable:
        raise Diagnostic(5, VERSIONS[-1], f"Unsupported version {clean(value)!r}")
    return usable[-1]


@dataclass
class Request:
    version: str
    operation: str
    values: dict


def _single(arguments):
    values = {}
    for name, given in arguments.items():
        if len(given) != 1:
            raise Diagnostic(6, name, f"The parameter {name} is repeated")
        values[name] = given[0]
    return values


def _int(values, name, default, minimum):
    raw = values.get(name)
    if raw is None or raw == "":
        return default
    try:
        number = int(raw.strip())
    except ValueError:
        raise Diagnostic(6, name) from None
    if number < minimum:
        raise Diagnostic(6, name)
    return number


# --- XML helpers ----------------------------------------------------------------------------


class Writer:
    """Elements in the response namespace of one SRU version."""

    def __init__(self, version):
        self.splicer = Splicer()  # records are spliced in pre-serialised
        self.version = version
        self.ns = NS[version]
        self.p = self.ns["prefix"]

    def root(self, name):
        root = ET.Element(f"{self.p}:{name}")
        root.set(f"xmlns:{self.p}", self.ns["response"])
        return root

    def sub(self, parent, name, text=None):
        node = ET.SubElement(parent, f"{self.p}:{name}")
        if text is not None:
            node.text = clean(text)
        return node

    def diagnostics(self, parent, diagnostics):
        if not diagnostics:
            return
        container = self.sub(parent, "diagnostics")
        for diag in diagnostics:
            node = ET.SubElement(container, "diag:diagnostic")
            node.set("xmlns:diag", self.ns["diag"])
            ET.SubElement(node, "diag:uri").text = diag.uri
            if diag.details:
                ET.SubElement(node, "diag:details").text = clean(diag.details)
            ET.SubElement(node, "diag:message").text = clean(diag.message)


def _document(root, w):
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + w.splicer.tostring(root).encode("utf-8")


# --- operations -----------------------------------------------------------------------------


def _packing(request):
    """'xml' or 'string': how record data is carried."""
    values = request.values
    if request.version == "1.2":
        packing = values.get("recordPacking") or "xml"
        if packing not in ("xml", "string"):
            raise Diagnostic(71, packing)
        return packing
    escaping = values.get("recordXMLEscaping")
    packing = values.get("recordPacking")
    if escaping is None and packing in ("xml", "string"):
        escaping, packing = packing, None  # a 1.x habit: read it as recordXMLEscaping
    if packing not in (None, "", "packed"):
        raise Diagnostic(71, packing)
    escaping = escaping or "xml"
    if escaping not in ("xml", "string"):
        raise Diagnostic(71, escaping)
    return escaping


def _schema(values):
    requested = values.get("recordSchema") or DEFAULT_SCHEMA
    name = SCHEMA_ALIASES.get(requested) or SCHEMA_ALIASES.get(requested.lower())
    if name is None:
        raise Diagnostic(66, requested)
    return name


def _check_parameters(values):
    for name in values:
        if name.startswith("x-") or name in KNOWN_PARAMETERS:
            continue
        raise Diagnostic(8, name)
    if values.get("stylesheet"):
        raise Diagnostic(110, values["stylesheet"])
    if values.get("recordXPath"):
        raise Diagnostic(72, values["recordXPath"])
    query_type = values.get("queryType")
    if query_type not in (None, "", "cql"):
        raise Diagnostic(6, "queryType")


def _record_data(record, schema, data):
    if schema == "dc":
        return srw_dc_string(record, data.identifiers.get(record.id, ()))
    return marcxml_string(
        record.marc,
        data.holdings.get(record.id, ()),
        fallback_title=record.title,
        record_id=record.id,
    )


def search_retrieve(request, w):
    values = request.values
    root = w.root("searchRetrieveResponse")
    w.sub(root, "version", request.version)
    diagnostics = []
    total = 0
    records = []
    start = maximum = None
    packing = schema = None
    try:
        _check_parameters(values)
        if not values.get("query"):
            raise Diagnostic(7, "query")
        start = _int(values, "startRecord", 1, 1)
        maximum = _int(values, "maximumRecords", default_records(), 0)
        if start > MAX_START_RECORD:
            raise Diagnostic(6, "startRecord", f"startRecord is at most {MAX_START_RECORD}")
        maximum = min(maximum, max_records())
        packing = _packing(request)
        schema = _schema(values)
        try:
            parsed = cql.parse(values["query"])
        except cql.CQLError as exc:
            raise Diagnostic(exc.diagnostic, exc.details, exc.message) from exc
        tantivy_query = cql_search.build(parsed.root)
        sort = cql_search.sort_from_cql(parsed.sort_keys)
        if sort is None and values.get("sortKeys"):
            sort = cql_search.sort_from_sort_keys(values["sortKeys"])
        found = cql_search.run(tantivy_query, offset=start - 1, limit=maximum, sort=sort)
        total = found.total
        if maximum and total and start > total:
            raise Diagnostic(61, str(start))
        records = _load(found.record_ids, schema)
    except Diagnostic as diag:
        diagnostics.append(diag)
        total, records = 0, []
    w.sub(root, "numberOfRecords", str(total))
    if records:
        container = w.sub(root, "records")
        records_by_id, data = records
        position = start
        for record_id in records_by_id:
            record = records_by_id[record_id]
            node = w.sub(container, "record")
            w.sub(node, "recordSchema", SCHEMAS[schema][0])
            w.sub(
                node, "recordPacking" if request.version == "1.2" else "recordXMLEscaping", packing
            )
            holder = w.sub(node, "recordData")
            fragment = _record_data(record, schema, data)
            if packing == "string":
                holder.text = fragment  # escaped by the serialiser
            else:
                w.splicer.add(holder, fragment)
            w.sub(node, "recordPosition", str(position))
            position += 1
        if start - 1 + len(records_by_id) < total:
            w.sub(root, "nextRecordPosition", str(start + len(records_by_id)))
    echo = w.sub(root, "echoedSearchRetrieveRequest")
    w.sub(echo, "version", request.version)
    if values.get("query") is not None:
        w.sub(echo, "query", values["query"])
    if start is not None:
        w.sub(echo, "startRecord", str(start))
    if maximum is not None:
        w.sub(echo, "maximumRecords", str(maximum))
    if packing is not None:
        w.sub(echo, "recordPacking" if request.version == "1.2" else "recordXMLEscaping", packing)
    if schema is not None:
        w.sub(echo, "recordSchema", SCHEMAS[schema][0])
    if values.get("sortKeys"):
        w.sub(echo, "sortKeys", values["sortKeys"])
    w.diagnostics(root, diagnostics)
    return root


def _load(record_ids, schema):
    """({id: record row} in hit order, PageData): two queries for the whole page."""
    if not record_ids:
        return []
    fields = record_queries.MARC_FIELDS if schema == "marcxml" else record_queries.RECORD_FIELDS
    rows = Record.objects.filter(id__in=record_ids, deleted_at__isnull=True).values_list(
        *fields, named=True
    )
    by_id = {r.id: r for r in rows}
    ordered = {rid: by_id[rid] for rid in record_ids if rid in by_id}
    data = record_queries.page_data(
        list(ordered.values()),
        want_holdings=schema == "marcxml",
        want_sets=False,
        want_identifiers=schema == "dc",
    )
    return ordered, data


def explain_response(request, w, *, base_url, diagnostics=()):
    root = w.root("explainResponse")
    w.sub(root, "version", request.version)
    record = w.sub(root, "record")
    w.sub(record, "recordSchema", explain.ZEEREX_NS)
    packing = "xml"
    try:
        packing = _packing(request)
    except Diagnostic as diag:
        diagnostics = [*diagnostics, diag]
    w.sub(record, "recordPacking" if request.version == "1.2" else "recordXMLEscaping", packing)
    holder = w.sub(record, "recordData")
    document = explain.zeerex(
        base_url=base_url,
        version=request.version,
        default_records=default_records(),
        max_records=max_records(),
    )
    if packing == "string":
        holder.text = ET.tostring(document, encoding="unicode")
    else:
        holder.append(document)
    w.sub(record, "recordPosition", "1")
    echo = w.sub(root, "echoedExplainRequest")
    w.sub(echo, "version", request.version)
    w.diagnostics(root, list(diagnostics))
    return root


def respond(arguments, *, base_url):
    """The SRU response document (bytes, UTF-8) for one request."""
    version_problem = None
    try:
        version = negotiate((arguments.get("version") or [None])[0])
    except Diagnostic as diag:  # below 1.2 or not a version: answer in 1.2
        version, version_problem = VERSIONS[0], diag
    w = Writer(version)
    try:
        values = _single(arguments)
    except Diagnostic as diag:
        return _document(_fatal(Request(version, "searchRetrieve", {}), w, diag), w)
    operation = values.get("operation")
    if operation is None:
        operation = "searchRetrieve" if "query" in values else "explain"
    request = Request(version, operation, values)
    if operation == "explain":
        problems = [version_problem] if version_problem else []
        return _document(explain_response(request, w, base_url=base_url, diagnostics=problems), w)
    if version_problem is not None:
        return _document(_fatal(request, w, version_problem), w)
    if operation == "searchRetrieve":
        return _document(search_retrieve(request, w), w)
    return _document(_fatal(request, w, Diagnostic(4, operation)), w)


def _fatal(request, w, diag):
    root = w.root("searchRetrieveResponse")
    w.sub(root, "version", request.version)
    w.sub(root, "numberOfRecords", "0")
    w.diagnostics(root, [diag])
    return root
