"""Bulk import of clients: a part of the client_vault service class.

Every row is validated (bad rows come back with their reasons, good rows are stored); the phones of
the good rows are indexed in Vault in batches, de-duplicated within the import and against the
store, and only the new clients are encrypted, each record's fields in the same Vault call. The
rows are written chunk by chunk while Vault encrypts the next chunks, all in the call's one
transaction: a Vault failure part-way rolls back what was written, so nothing is."""
import time
from contextlib import closing

from anchang_common.entrypoints import rpc
from anchang_common.types import new_id
from client_vault import schemas

#: rows per insert statement (and per chunk handed over by the encryption)
INSERT_CHUNK = 240


class Imports:
    """Mixed into ``client_vault.service.Service``; needs its ``store``, ``pii`` and ``auth``."""

    @rpc
    def import_clients(self, rows, idempotency_key=None):
        started = time.perf_counter()
        good, rejected = schemas.parse_import_rows(rows)
        indexes = self.pii.blind_indexes([profile.phone for _, profile in good])
        stored = self.store.client_ids_by_index(sorted(set(indexes)))
        new, seen = {}, set(stored)  # {client_id: (index, profile)}, in row order
        for (_, profile), index in zip(good, indexes, strict=True):
            if index not in seen:  # the first row of a phone creates it; later ones are duplicates
                seen.add(index)
                new[new_id()] = (index, profile)
        created, staff_id = 0, self.auth.principal.staff_id
        plaintexts = [(client_id, profile.pii()) for client_id, (_, profile) in new.items()]
        with closing(self.pii.encrypt_in_chunks(plaintexts, INSERT_CHUNK)) as chunks:
            for chunk in chunks:  # written while Vault encrypts the chunks after it
                records = [(client_id, new[client_id][0], ciphertexts, new[client_id][1])
                           for client_id, ciphertexts in chunk]
                created += len(self.store.add_clients(records, staff_id))
        seconds = time.perf_counter() - started
        return {"created": created, "existing": len(good) - created, "rejected": rejected,
                "seconds": round(seconds, 3), "rows_per_second": round(len(rows) / seconds, 1) if seconds else None}
