"""Bulk import of clients: a part of the client_vault service class.

Every row is validated (bad rows come back with their reasons, good rows are stored); the phones of
the good rows are indexed in Vault in batches, de-duplicated within the import and against the
store, and only the new clients are encrypted, each record's fields in the same Vault call. All
Vault calls come before the first row is written: Vault down means nothing written."""
import time

from anchang_common.entrypoints import rpc
from anchang_common.types import new_id
from client_vault import schemas


class Imports:
    """Mixed into ``client_vault.service.Service``; needs its ``store``, ``pii`` and ``auth``."""

    @rpc
    def import_clients(self, rows, idempotency_key=None):
        started = time.perf_counter()
        good, rejected = schemas.parse_import_rows(rows)
        indexes = self.pii.blind_indexes([profile.phone for _, profile in good])
        stored = self.store.client_ids_by_index(sorted(set(indexes)))
        new, seen = [], set(stored)
        for (_, profile), index in zip(good, indexes, strict=True):
            if index not in seen:  # the first row of a phone creates it; later ones are duplicates
                seen.add(index)
                new.append((new_id(), index, profile))
        ciphertexts = self.pii.encrypt_records([(client_id, p.pii()) for client_id, _, p in new])
        records = [(client_id, index, cts, profile)
                   for (client_id, index, profile), cts in zip(new, ciphertexts, strict=True)]
        inserted = self.store.add_clients(records, self.auth.principal.staff_id)
        seconds = time.perf_counter() - started
        return {"created": len(inserted), "existing": len(good) - len(inserted), "rejected": rejected,
                "seconds": round(seconds, 3), "rows_per_second": round(len(rows) / seconds, 1) if seconds else None}
