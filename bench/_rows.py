"""Many rows in one `INSERT ... SELECT` whose columns come from the model, not from a copy.

A bench that names its columns by hand breaks the day a NOT NULL column is added (the floor and
dashboard benches did, on `agent_failovers` and `disposition_notes`). Here every concrete column
of the model is written: the ones the bench gives as SQL expressions, `now()` for auto_now
fields, and the field's own default (Django's: "" for text) for the rest; a NOT NULL column
with neither is an error that names it.
"""

from __future__ import annotations

from typing import Any


def insert_rows(model: Any, select: dict[str, str], source: str, params: dict[str, Any]) -> int:
    """INSERT INTO model's table SELECT <one expression per column> FROM `source`.

    `select` maps column names to SQL expressions over `source` (e.g. `generate_series(1,
    %(rows)s) AS g`), with named placeholders filled from `params` (`%%` for a modulo).
    Returns the number of rows inserted.
    """
    from django.db import connection

    columns, exprs = [], []
    values = dict(params)
    known = set(select)
    for field in model._meta.concrete_fields:
        column = field.column
        if column in known:
            columns.append(column)
            exprs.append(select[column])
            known.discard(column)
            continue
        if field.primary_key and field.get_internal_type() in {"AutoField", "BigAutoField"}:
            continue
        columns.append(column)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            exprs.append("now()")
        elif field.has_default() or (field.empty_strings_allowed and not field.null):
            # Django's own default: the declared one, or "" for a text column.
            name = f"default_{column}"
            exprs.append(f"%({name})s")
            values[name] = field.get_db_prep_save(field.get_default(), connection)
        elif field.null:
            exprs.append("NULL")
        else:
            raise ValueError(f"{model.__name__}.{field.name}: NOT NULL, no default, not given")
    if known:
        raise ValueError(f"{model.__name__} has no column {sorted(known)}")
    sql = (f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
           f"SELECT {', '.join(exprs)} FROM {source}")
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount
