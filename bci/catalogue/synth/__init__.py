"""Synthetic Dutch-language MARC records: realistic enough for the demo and benchmarks.

Deterministic: the same ``seed`` and index always give the same record. Titles, authors,
publishers, subjects, SISO codes, shelf codes (plaatsingscodes), material types, years,
valid ISBN-13s (978-90 prefix), valid PPNs and NBD Biblion numbers; items in 852 (the
``852`` import preset: $a owner, $b branch, $c shelf code, $h call number, $p barcode,
$w material type, $9 price).

    records(1000, seed=7, branches=["A-1", "A-2"])      -> iterator of pymarc Records
    write_file(path, 200_000, seed=1, fmt="iso2709")      -> the file, ready to import

``words`` holds the vocabulary (names, title words, publishers, series, material and
language weights); ``generate`` builds the records from it.
"""

from .generate import make_record, prepared_batch, records, write_file

__all__ = ["make_record", "prepared_batch", "records", "write_file"]
