"""The repository's identity and settings: identifiers ``oai:<repository id>:<record id>``,
datestamps, page sizes and token lifetime, and the OAI-PMH error."""

import datetime as dt

from django.conf import settings

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"


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
