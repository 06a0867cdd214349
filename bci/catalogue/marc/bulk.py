"""Fast multi-row inserts for the import's hot path.

Django's ``bulk_create`` spends most of its time compiling SQL for each object; an import
of hundreds of thousands of records needs plain ``executemany``. Values go through the
backend's own adapters (``connection.ops``), so SQLite and PostgreSQL get what the ORM
would give them. Ids come from the backend: the sequence on PostgreSQL, max(id) inside
the write transaction on SQLite (its IMMEDIATE transactions hold the write lock).
"""

from contextlib import contextmanager

from django.db import connection


def table(model):
    return connection.ops.quote_name(model._meta.db_table)


def select_in(sql, values, *, prefix=(), chunk=900):
    """Rows of ``sql`` whose ``IN ({})`` is filled with placeholders for ``values``
    (queried in chunks); ``prefix`` parameters come before the values."""
    rows = []
    values = list(values)
    with connection.cursor() as cursor:
        for start in range(0, len(values), chunk):
            part = values[start : start + chunk]
            cursor.execute(sql.format(", ".join(["%s"] * len(part))), [*prefix, *part])
            rows.extend(cursor.fetchall())
    return rows


def allocate_ids(model, count):
    """``count`` fresh primary keys for ``model``; call inside the batch transaction."""
    if count == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT COALESCE(MAX({connection.ops.quote_name(pk)}), 0) "
            f"FROM {connection.ops.quote_name(table)}"
        )
        start = cursor.fetchone()[0] + 1
        # On SQLite, AUTOINCREMENT is not used by Django: max(id)+1 is what it would pick.
        return list(range(start, start + count))


def insert_rows(model, columns, rows, *, json_columns=(), ignore_conflicts=False):
    """INSERT ``rows`` (tuples in ``columns`` order) into ``model``'s table.

    ``json_columns``: columns whose values are already JSON text."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    postgres = connection.vendor == "postgresql"
    holders = ", ".join("%s::jsonb" if (postgres and c in json_columns) else "%s" for c in columns)
    verb = "INSERT"
    tail = ""
    if ignore_conflicts:
        if postgres:
            tail = " ON CONFLICT DO NOTHING"
        else:
            verb = "INSERT OR IGNORE"
    sql = f"{verb} INTO {table} ({names}) VALUES ({holders}){tail}"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 2000):
            cursor.executemany(sql, rows[start : start + 2000])


def update_rows(model, columns, rows, *, json_columns=()):
    """UPDATE ``model`` SET columns WHERE pk = last value of each row."""
    if not rows:
        return
    quote = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"
    sets = ", ".join(
        f"{quote(c)} = %s::jsonb" if (postgres and c in json_columns) else f"{quote(c)} = %s"
        for c in columns
    )
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote(model._meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def adapt_datetime(value):
    return connection.ops.adapt_datetimefield_value(value)


def adapt_date(value):
    return connection.ops.adapt_datefield_value(value)


def adapt_decimal(value):
    if value is None:
        return None
    return connection.ops.adapt_decimalfield_value(value, 8, 2)


@contextmanager
def big_write_cache(megabytes=256):
    """SQLite: a larger page cache while importing (the default 2 MB makes every insert
    into the random-key indexes - fingerprints, identifiers - read pages back once the
    catalogue outgrows it). No-op on other backends."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(megabytes) * 1024}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")
