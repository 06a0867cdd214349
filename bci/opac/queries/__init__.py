"""Reads for the public catalogue (OPAC pages and the public catalogue API).

Availability is always read live from the database, never from the search index. Every
function here answers for a whole page of records in a fixed, small number of queries.
Nothing here reads or returns personal data: a loan contributes only its due date.

Modules: ``labels`` (translated labels for codes and facets), ``records`` (records by id,
merges, slugs), ``copies`` (availability for a page of records, the copies of one record),
``linked_data`` (schema.org JSON-LD).
"""
