"""Customer PII through Vault's transit engine: encrypted with the derived key ``anchang-pii`` whose
context binds each ciphertext to its client and field (``client/<id>/<field>``, a note's text to
``client/<id>/note/<note_id>``), so a ciphertext moved to another row or field does not decrypt; the
phone indexed by Vault's HMAC (``anchang-phone-index``) of its E.164 form.

Every operation on many values is one ``batch_input`` call; all fields of a record go in one call.
The calls of one bulk operation (an import's phone index and encryption) run a few at a time.
"""
import re

import eventlet
from eventlet.semaphore import Semaphore

from anchang_common.vault import Vault, VaultRequestError

PII_KEY = "anchang-pii"
PHONE_INDEX_KEY = "anchang-phone-index"
#: Vault (and OpenBao) refuse a request body of more than 1000 JSON strings; an item with a context
#: is 4 strings ({"plaintext": ..., "context": ...}), an HMAC input 2
ITEMS_PER_CALL = 240
HMAC_INPUTS_PER_CALL = 480
#: records per Vault call in bulk encryption: each record's (up to 4) fields stay in one call
RECORDS_PER_CALL = ITEMS_PER_CALL // 4
#: Vault calls of one bulk operation under way at once: enough to keep Vault busy while this process
#: builds requests and writes rows, few enough not to crowd a small machine (two cores)
CONCURRENT_CALLS = 4
_VERSION = re.compile(r"vault:v([0-9]+):")


class CiphertextRejected(Exception):
    """Vault would not decrypt a stored ciphertext under its context: it was moved or altered."""


def field_context(client_id, field):
    return f"client/{client_id}/{field}"


def note_context(client_id, note_id):
    return f"client/{client_id}/note/{note_id}"


def key_version(ciphertext):
    """The key version a ciphertext (``vault:vN:...``) was made with."""
    match = _VERSION.match(ciphertext)
    if match is None:
        raise ValueError("not a Vault ciphertext")
    return int(match.group(1))


def oldest_version(ciphertexts):
    return min(key_version(c) for c in ciphertexts if c)


def _chunks(values, size):
    return [values[start:start + size] for start in range(0, len(values), size)]


def _in_order(call, chunks):
    """Yields ``call(chunk)`` of each chunk, in order, the calls running ``CONCURRENT_CALLS`` at a
    time and ahead of the consumer. A failure is raised in its turn; then, as when the consumer
    stops early, no further call starts and those under way are waited for (their results dropped),
    so no call outlives the operation."""
    if len(chunks) <= 1:
        yield from (call(chunk) for chunk in chunks)
        return
    slots, stopped = Semaphore(CONCURRENT_CALLS), []

    def run(chunk):
        with slots:  # eventlet's semaphore is FIFO: the calls start in order
            if stopped:
                return None, None
            try:
                return call(chunk), None
            except Exception as error:  # raised by the consumer: the hub would print it with a traceback
                return None, error
    threads = [eventlet.spawn(run, chunk) for chunk in chunks]
    try:
        for thread in threads:
            result, error = thread.wait()
            if error is not None:
                raise error
            yield result
    finally:
        stopped.append(True)
        for thread in threads:
            thread.wait()


class PiiCipher:
    """The transit operations of client_vault over the service's ``VaultClient``."""

    def __init__(self, vault):
        self.vault = vault

    def blind_indexes(self, phones):
        """Vault's HMAC of each E.164 phone, in order."""
        def index(chunk):
            return self.vault.hmac_batch(PHONE_INDEX_KEY, [phone.encode() for phone in chunk])
        return [value for indexes in _in_order(index, _chunks(phones, HMAC_INPUTS_PER_CALL)) for value in indexes]

    def encrypt_in_chunks(self, records, size):
        """``records``: ``[(client_id, {field: plaintext})]``; yields them encrypted, ``[(client_id,
        {field: ciphertext})]``, in order and ``size`` records at a time (the last chunk may be
        shorter), ``RECORDS_PER_CALL`` records per Vault call. The calls run ahead of the consumer: a
        chunk can be stored while Vault encrypts the next ones."""
        chunk = []
        for encrypted in _in_order(self._encrypt_call, _chunks(records, RECORDS_PER_CALL)):
            chunk.extend(encrypted)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _encrypt_call(self, records):
        items = [(value.encode(), field_context(client_id, field))
                 for client_id, fields in records for field, value in fields.items()]
        ciphertexts = iter(self.vault.encrypt_batch(PII_KEY, items))
        return [(client_id, {field: next(ciphertexts) for field in fields}) for client_id, fields in records]

    def encrypt_record(self, client_id, fields):
        return self._encrypt_call([(client_id, fields)])[0][1]

    def encrypt_note(self, client_id, note_id, text):
        return self.vault.encrypt_batch(PII_KEY, [(text.encode(), note_context(client_id, note_id))])[0]

    def decrypt(self, items):
        """``items``: ``[(ciphertext, context)]`` -> plaintext strings, in one call.
        ``CiphertextRejected`` when Vault refuses one (moved, swapped or altered)."""
        try:
            return [plain.decode() for start in range(0, len(items), ITEMS_PER_CALL)
                    for plain in self.vault.decrypt_batch(PII_KEY, items[start:start + ITEMS_PER_CALL])]
        except VaultRequestError as error:
            raise CiphertextRejected("a stored ciphertext does not decrypt under its context") from error

    def decrypt_fields(self, client_id, ciphertexts):
        """``{field: ciphertext}`` of one client -> ``{field: plaintext}``, in one call."""
        names = list(ciphertexts)
        plain = self.decrypt([(ciphertexts[n], field_context(client_id, n)) for n in names])
        return dict(zip(names, plain, strict=True))

    def rewrap(self, items):
        """``[(ciphertext, context)]`` re-encrypted with the newest key version inside Vault."""
        return [ciphertext for start in range(0, len(items), ITEMS_PER_CALL)
                for ciphertext in self.vault.rewrap_batch(PII_KEY, items[start:start + ITEMS_PER_CALL])]

    def rotate(self):
        """Rotate ``anchang-pii``; returns the new newest version."""
        self.vault.rotate(PII_KEY)
        return self.key_state()[0]

    def key_state(self):
        """``(newest version, min_decryption_version)`` of ``anchang-pii``."""
        key = self.vault.read_key(PII_KEY)
        return int(key["latest_version"]), int(key["min_decryption_version"])

    def raise_min_decryption_version(self, version):
        self.vault.set_min_decryption_version(PII_KEY, version)


class Pii(Vault):
    """Injects a ``PiiCipher`` over the container's Vault client."""

    def get_dependency(self, worker_ctx):
        return PiiCipher(self.connection.client)
