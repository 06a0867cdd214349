"""The SRU explain record (ZeeRex 2.0): server, indexes, schemas and limits."""

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from django.conf import settings

from . import indexes as search
from .sorting import SORT_FIELDS

ZEEREX_NS = "http://explain.z3950.org/dtd/2.0/"

RELATION_ORDER = ["=", "==", "exact", "adj", "all", "any", "<>", "<", "<=", ">", ">=", "within"]


def zeerex(*, base_url, version, default_records, max_records):
    from .protocol import SCHEMAS

    parts = urlsplit(base_url)
    root = ET.Element("explain")
    root.set("xmlns", ZEEREX_NS)
    server = ET.SubElement(root, "serverInfo", protocol="SRU", version=version, transport="http")
    ET.SubElement(server, "host").text = parts.hostname or "localhost"
    ET.SubElement(server, "port").text = str(parts.port or (443 if parts.scheme == "https" else 80))
    ET.SubElement(server, "database").text = parts.path.lstrip("/") or "sru"

    database = ET.SubElement(root, "databaseInfo")
    name = getattr(settings, "BCI_OAI_REPOSITORY_NAME", "BCI shared catalogue")
    ET.SubElement(database, "title", lang="en", primary="true").text = name
    ET.SubElement(database, "description", lang="en", primary="true").text = (
        "The shared catalogue of the BCI library network: bibliographic records with the "
        "items (holdings) of every library organisation."
    )

    indexes = ET.SubElement(root, "indexInfo")
    for set_name, uris in search.CONTEXT_SETS.items():
        ET.SubElement(indexes, "set", identifier=uris[0], name=set_name)
    for index, kind in search.INDEXES.items():
        set_name, local = index.split(".", 1)
        node = ET.SubElement(indexes, "index", search="true", scan="false")
        node.set("sort", "true" if index in SORT_FIELDS else "false")
        ET.SubElement(node, "title", lang="en").text = search.INDEX_TITLES[index]
        mapping = ET.SubElement(node, "map")
        ET.SubElement(mapping, "name", set=set_name).text = {
            "serverchoice": "serverChoice",
            "allrecords": "allRecords",
        }.get(local, local)
        config = ET.SubElement(node, "configInfo")
        for relation in RELATION_ORDER:
            if relation in search.RELATIONS[kind]:
                ET.SubElement(config, "supports", type="relation").text = relation

    schemas = ET.SubElement(root, "schemaInfo")
    for short, (uri, title) in SCHEMAS.items():
        schema = ET.SubElement(schemas, "schema", identifier=uri, name=short)
        schema.set("retrieve", "true")
        schema.set("sort", "false")
        ET.SubElement(schema, "title", lang="en").text = title

    config = ET.SubElement(root, "configInfo")
    ET.SubElement(config, "default", type="numberOfRecords").text = str(default_records)
    ET.SubElement(config, "setting", type="maximumRecords").text = str(max_records)
    ET.SubElement(config, "default", type="contextSet").text = "cql"
    ET.SubElement(config, "default", type="index").text = "cql.serverChoice"
    ET.SubElement(config, "default", type="relation").text = "="
    for relation_modifier in sorted(search.ACCEPTED_MODIFIERS):
        ET.SubElement(config, "supports", type="relationModifier").text = relation_modifier
    for boolean in ("and", "or", "not"):
        ET.SubElement(config, "supports", type="booleanOperator").text = boolean
    ET.SubElement(config, "supports", type="sort").text = "dc.title dc.date dc.creator"
    ET.SubElement(config, "supports", type="maskingCharacter").text = "* ?"
    return root
