"""Building a strawberry type from a record (a row, a domain result) that shares its field names.

`copy_fields(cls, source, **overrides)` takes every constructor field of `cls` from the attribute
of the same name on `source`; `overrides` supply the fields that are converted (an enum, an
opaque id), computed, or named differently. A field `source` lacks and no override gives is an
AttributeError, never a silent default. It is `app.records.copy_fields`, the one the services use
to build domain records from rows.
"""

from __future__ import annotations

from app.records import copy_fields as copy_fields
