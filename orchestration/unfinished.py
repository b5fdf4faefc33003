"""Work a crashed run left undone, so the same command again finishes it.

Two states outlive a crash: a delivery landed in the archive but never judged
(killed between landing and loading: no row in `raw.deliveries`), and a
delivery loaded into the build DB but not in the current release (killed in
dbt or in publish). The first is ingested again, the second makes a rebuild and
publish necessary. Only the newest landing of a zone-wave counts: an older
one that was overtaken by a newer delivery must never replace it.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from orchestration.ingest.landing import Landing, landed_deliveries
from orchestration.pipeline import delivery_rows
from orchestration.settings import Home


@dataclass(frozen=True)
class UnfinishedWork:
    unjudged: tuple[Landing, ...]  # newest landing of its zone-wave, never recorded
    unpublished: tuple[str, ...]  # delivery ids loaded but not in the current release

    @property
    def any(self) -> bool:
        return bool(self.unjudged or self.unpublished)


def published_deliveries(home: Home) -> set[str] | None:
    """Delivery ids in the current release's manifest; None before the first release."""
    from orchestration.release import delivery_ids, read_manifest

    if not home.current.is_dir():
        return None
    return delivery_ids(read_manifest(home.current.resolve()))


def unfinished_work(home: Home) -> UnfinishedWork:
    """What crashed runs left undone in `home` (nothing when the build DB is busy)."""
    try:
        rows = delivery_rows(home.build_db)
    except duckdb.IOException:  # a live run holds the build DB: it is not a crash
        return UnfinishedWork((), ())
    recorded = {r.delivery_id for r in rows}
    newest: dict[tuple[str, int], Landing] = {}
    for landing in landed_deliveries(home):  # oldest first: the last one wins
        newest[(landing.zone_id, landing.wave_id)] = landing
    unjudged = tuple(la for la in newest.values() if la.delivery_id not in recorded)
    published = published_deliveries(home) or set()
    loaded = [r.delivery_id for r in rows if r.status == "loaded"]
    return UnfinishedWork(unjudged, tuple(d for d in loaded if d not in published))
