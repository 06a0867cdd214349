"""The six OAI-PMH verbs; ``HANDLERS`` maps each verb to its function, which returns the
verb's element or raises OaiError."""

import xml.etree.ElementTree as ET

from django.conf import settings

from bci.catalogue.models import Record

from . import queries, tokens
from .arguments import date_bounds
from .metadata.dublin_core import OAI_DC_NS, OAI_DC_SCHEMA, oai_dc_string
from .metadata.marc import MARC_NS, MARC_SCHEMA, marcxml_string
from .metadata.xml_text import XSI_NS, clean
from .repository import (
    GRANULARITY,
    OaiError,
    datestamp,
    oai_identifier,
    page_size,
    record_id_from,
    repository_id,
    token_lifetime,
)

OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_ID_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"

METADATA_FORMATS = {
    "oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS),
    "marc21": (MARC_SCHEMA, MARC_NS),
}


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
