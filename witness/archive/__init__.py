"""Project archive bundles: export, verify, import (结构化归档, 过程可溯).

One module per job, so each question has one place to look:

- `format`     bundle layout, manifest, records, findings, the chain walk (pure);
- `export`     read one project from the store and write its bundle;
- `context`    the room and registry chain segments a replay needs, carried along;
- `verify`     check a bundle (or the live chain, or one against the other);
- `restore`    import a verified bundle into another store; read it back for a replay;
- `retention`  how long a bundle is kept (政府采购法 第四十二条).

The CLI (`witness/commands/archive.py`) only prints, and drives the offline replay.
"""

from witness.archive.export import collect, export_bundle
from witness.archive.format import (
    FORMAT,
    SCHEMA_VERSION,
    ArchiveError,
    Problem,
    Record,
    Report,
    build_manifest,
    context_segments,
    pack,
    parse_records,
    read_parts,
    walk_chain,
)
from witness.archive.restore import ImportResult, bundle_alerts, bundle_events, import_bundle
from witness.archive.retention import (
    DEFAULT_RETENTION_YEARS,
    RETENTION_BASIS,
    may_delete,
    retention_until,
    retention_years,
)
from witness.archive.verify import compare_with_live, verify_bundle, verify_live, verify_parts

__all__ = [
    "DEFAULT_RETENTION_YEARS",
    "FORMAT",
    "RETENTION_BASIS",
    "SCHEMA_VERSION",
    "ArchiveError",
    "ImportResult",
    "Problem",
    "Record",
    "Report",
    "build_manifest",
    "bundle_alerts",
    "bundle_events",
    "collect",
    "compare_with_live",
    "context_segments",
    "export_bundle",
    "import_bundle",
    "may_delete",
    "pack",
    "parse_records",
    "read_parts",
    "retention_until",
    "retention_years",
    "verify_bundle",
    "verify_live",
    "verify_parts",
    "walk_chain",
]
