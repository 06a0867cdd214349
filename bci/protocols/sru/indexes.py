"""The CQL context sets and indexes SRU supports, their relations and modifiers, and the
resolution of an index name (with prefix assignments) to its canonical ``set.index``."""

from bci.catalogue.search import schema as S

from .diagnostics import Diagnostic

CONTEXT_SETS = {
    "cql": ("info:srw/cql-context-set/1/cql-v1.2", "info:srw/cql-context-set/1/cql-v1.1"),
    "dc": ("info:srw/cql-context-set/1/dc-v1.1",),
    "bath": ("http://zing.z3950.org/cql/bath/2.0/",),
    "rec": ("info:srw/cql-context-set/2/rec-1.1", "info:srw/cql-context-set/2/rec-1.0"),
    "bci": ("info:srw/cql-context-set/bci/1.0",),
}
SET_BY_URI = {uri.lower(): name for name, uris in CONTEXT_SETS.items() for uri in uris}

# index -> kind; the kind decides relations and the fields searched
INDEXES = {
    "cql.serverchoice": "text",
    "cql.anywhere": "text",
    "cql.allrecords": "all",
    "dc.title": "title",
    "dc.creator": "creator",
    "dc.subject": "subject",
    "dc.date": "date",
    "dc.language": "language",
    "dc.identifier": "identifier",
    "bath.isbn": "identifier",
    "bath.issn": "identifier",
    "rec.identifier": "recid",
    "bci.library": "library",
    "bci.branch": "branch",
    "bci.available": "available",
}
INDEX_TITLES = {
    "cql.serverchoice": "title, author and all text (a bare term)",
    "cql.anywhere": "title, author and all text",
    "cql.allrecords": "every record (cql.allRecords = 1)",
    "dc.title": "title",
    "dc.creator": "author",
    "dc.subject": "subject",
    "dc.date": "year of publication",
    "dc.language": "language (MARC code: dut, eng, ger ...)",
    "dc.identifier": "ISBN, ISSN, PPN, NBD number, barcode",
    "bath.isbn": "ISBN (10 or 13, any hyphenation)",
    "bath.issn": "ISSN",
    "rec.identifier": "record id or PPN",
    "bci.library": "held by library organisation (code)",
    "bci.branch": "held at branch (home branch code)",
    "bci.available": "available now at branch (code)",
}
TEXT_FIELDS = {
    "text": [S.TITLE, S.AUTHOR, S.ALL],
    "title": [S.TITLE],
    "creator": [S.AUTHOR],
    "subject": [S.SUBJECT],
}
EXACT_FIELDS = {"title": S.SORT_TITLE, "creator": "author_facet", "subject": "subject_facet"}
CODE_FIELDS = {"language": "language", "library": "library", "available": "available_at"}

ORDERING = {"<", ">", "<=", ">="}
TEXT_RELATIONS = {"=", "==", "exact", "adj", "all", "any", "<>"}
RELATIONS = {
    "text": TEXT_RELATIONS - {"==", "exact"},
    "title": TEXT_RELATIONS,
    "creator": TEXT_RELATIONS,
    "subject": TEXT_RELATIONS,
    "date": {"=", "==", "exact", "any", "<>", "within"} | ORDERING,
    "language": {"=", "==", "exact", "any", "<>"},
    "identifier": {"=", "==", "exact", "any", "<>"},
    "recid": {"=", "==", "exact", "any", "<>"},
    "library": {"=", "==", "exact", "any", "<>"},
    "branch": {"=", "==", "exact", "any", "<>"},
    "available": {"=", "==", "exact", "any", "<>"},
    "all": {"=", "==", "exact", "any", "all", "adj"},
}
# relations CQL defines (anything else is an unknown relation: 19)
KNOWN_RELATIONS = TEXT_RELATIONS | ORDERING | {"within", "encloses", "scr"}
# relation modifiers: accepted (they describe what we do anyway) and meaningful ones
ACCEPTED_MODIFIERS = {
    "ignorecase",
    "ignoreaccents",
    "relevant",
    "stem",
    "word",
    "string",
    "masked",
    "unmasked",
    "isodate",
    "number",
    "fuzzy",
}
LANGUAGES = {
    "nl": "dut",
    "nld": "dut",
    "dutch": "dut",
    "nederlands": "dut",
    "en": "eng",
    "english": "eng",
    "engels": "eng",
    "de": "ger",
    "deu": "ger",
    "german": "ger",
    "duits": "ger",
    "fr": "fre",
    "fra": "fre",
    "french": "fre",
    "frans": "fre",
    "es": "spa",
    "tr": "tur",
    "ar": "ara",
}


def resolve_index(name, prefixes):
    """The canonical ``set.index`` name for a CQL index, honouring prefix assignments."""
    name = name.lower()
    if name.startswith("cql.") and name[4:] in ("serverchoice", "anywhere", "allrecords"):
        return name
    if "." in name:
        prefix, local = name.split(".", 1)
        for assigned, uri in reversed(prefixes):
            if assigned == prefix:
                canonical = SET_BY_URI.get(uri.lower())
                if canonical is None:
                    raise Diagnostic(15, uri)
                prefix = canonical
                break
        else:
            if prefix not in CONTEXT_SETS:
                raise Diagnostic(15, prefix)
        full = f"{prefix}.{local}"
        if full not in INDEXES:
            raise Diagnostic(16, name)
        return full
    default = [uri for assigned, uri in prefixes if assigned == ""]
    sets = [SET_BY_URI.get(default[-1].lower())] if default else list(CONTEXT_SETS)
    if default and sets[0] is None:
        raise Diagnostic(15, default[-1])
    for set_name in sets:
        if f"{set_name}.{name}" in INDEXES:
            return f"{set_name}.{name}"
    raise Diagnostic(16, name)
