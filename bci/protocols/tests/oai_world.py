"""The OAI-PMH test world: a small catalogue over three libraries in two POIs, and helpers
to ask /oai and read its answers."""

import datetime as dt
import xml.etree.ElementTree as ET

from bci.protocols.oaipmh.repository import oai_identifier
from bci.protocols.tests.test_oai_metadata import NS, T0, make_record, tombstone


def oai(client, method="get", **params):
    response = getattr(client, method)("/oai", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def error_codes(root):
    return [e.get("code") for e in root.findall("oai:error", NS)]


def identifiers(root):
    return [e.text for e in root.findall(".//oai:header/oai:identifier", NS)]


def token_of(root):
    return root.find(".//oai:resumptionToken", NS)


def oai_catalogue(net):
    """Five records over three libraries in two POIs, one withdrawn, one merged away."""
    r = {}
    r["zee"] = make_record(
        "Het grote boek van de zee",
        authors=["Jansen, Piet"],
        year=2001,
        isbn="9789044630183",
        items=[("A0001", net.lib_a, net.a1)],
        updated_at=T0,
    )
    r["fiets"] = make_record(
        "Fietsen in Nederland",
        authors=["Vries, Anna de"],
        year=2015,
        items=[("A0002", net.lib_a, net.a2), ("B0001", net.lib_b, net.b1)],
        updated_at=T0 + dt.timedelta(hours=1),
    )
    r["maas"] = make_record(
        "Langs de Maas",
        year=2019,
        items=[("C0001", net.lib_c, net.c1)],
        updated_at=T0 + dt.timedelta(days=1),
    )
    r["oud"] = make_record(
        "Afgevoerd boek", items=[("C0002", net.lib_c, net.c1, "withdrawn")], updated_at=T0
    )
    tombstone(r["oud"], at=T0 + dt.timedelta(days=2))
    r["dubbel"] = make_record(
        "Fietsen in Nederland (dubbel)", items=[("B0002", net.lib_b, net.b1)], updated_at=T0
    )
    tombstone(r["dubbel"], at=T0 + dt.timedelta(days=3), merged_into=r["fiets"])
    return r


def oid(record):
    return oai_identifier(record.id)
