"""Ingest of runs, usage and labels: validate the whole batch, then write it set-based.

See `app.services.ingest.service` for the rules.

Other layers may call what this package exports (`ingest_records`, `IngestOutcome`,
`BatchTooLarge`, `RecordError`, `FieldError`) and `errors.FieldError`. The rest is internal.
"""

from app.services.ingest.errors import BatchTooLarge, FieldError, RecordError
from app.services.ingest.service import IngestOutcome, ingest_records

__all__ = ["BatchTooLarge", "FieldError", "IngestOutcome", "RecordError", "ingest_records"]
