"""OAI-PMH 2.0: parse a request's arguments, run the verb, answer with an XML document.

``respond(arguments, base_url=..., now=...)`` is independent of HTTP: ``arguments`` maps
each argument name to the list of its values (repeated arguments are an error, so the view
must keep them). Errors are OAI-PMH error elements in a normal response (HTTP 200).

Identifiers are ``oai:<repository identifier>:<record id>``; the repository identifier
is ``settings.BCI_OAI_REPOSITORY_ID`` (default ``bci-diensten.nl``). Datestamps are the
records' ``updated_at`` in UTC with second granularity; a tombstone (merged or withdrawn
record) keeps answering with ``status="deleted"`` for ever (deletedRecord = persistent).

Modules: ``arguments`` (checking a request), ``verbs`` (the six verbs), ``repository``
(identifiers, datestamps, settings, ``OaiError``); this one runs a request and writes the
response document.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from django.utils import timezone

from .arguments import check_arguments
from .metadata.xml_text import XSI_NS, Splicer, clean
from .repository import OaiError, datestamp
from .verbs import HANDLERS

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"


@dataclass
class Answer:
    """The verb element (or errors) plus the request attributes to echo."""

    errors: list = field(default_factory=list)
    body: ET.Element | None = None
    echo: dict = field(default_factory=dict)


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
