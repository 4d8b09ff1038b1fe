"""Key rotation of ``anchang-pii``: rotate, rewrap every ciphertext to the newest version, then raise
the key's ``min_decryption_version`` so the old versions decrypt nothing any more. A part of the
client_vault service class."""
from anchang_common.entrypoints import rpc
from client_vault import schemas

DEFAULT_REWRAP_BATCH = 500


class KeyRotation:
    """Mixed into ``client_vault.service.Service``; needs its ``store``, ``pii`` and ``unit_of_work``."""

    @rpc
    def rotate_key(self):
        version = self.pii.rotate()
        return {"key_version": version, "to_rewrap": self.store.count_below(version)}

    @rpc
    def rewrap(self, batch_size=DEFAULT_REWRAP_BATCH):
        """Rewrap, ``batch_size`` rows per Vault call, every row still below the newest key version.

        Each batch is committed as soon as it is stored, so an interrupted rewrap keeps what it did;
        the next call selects only the rows still below the newest version and goes on from there.
        ``min_decryption_version`` is raised only once no row is left below the newest version."""
        # an optional argument sent as null takes its default (docs/contract/rpc.md#json-conventions)
        batch_size = schemas.parse_batch_size(DEFAULT_REWRAP_BATCH if batch_size is None else batch_size)
        newest, min_version = self.pii.key_state()
        rewrapped = 0
        while values := self.store.values_below(newest, batch_size):
            ciphertexts = self.pii.rewrap([(v.ciphertext, v.context) for v in values])
            self.store.store_rewrapped(values, ciphertexts)
            self.unit_of_work.commit()
            rewrapped += len(values)
        if min_version < newest:
            self.pii.raise_min_decryption_version(newest)
        return {"rewrapped": rewrapped, "key_version": newest, "min_decryption_version": newest}
