"""The client_vault service's storage: every query of the service and the mapping between its rows
(``client_vault.models``) and what the service works with.

``ClientStore`` injects a ``ClientStorage`` bound to the worker's session (the one the gate, the
outbox and the unit of work use). Only ciphertexts, blind indexes, masked forms, ids and codes pass
through here: never a plaintext value of a client's data.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from anchang_common.db import Storage
from anchang_common.errors import Conflict, NotFound
from anchang_common.types import new_id, utcnow
from client_vault import crypto, domain
from client_vault.models import AuditEntry, AuditHead, Client, Note

CIPHERTEXT_COLUMNS = {"name": "name_ct", "phone": "phone_ct", "id_number": "id_number_ct",
                      "address": "address_ct"}
HEAD_ID = 1
MAX_AUDIT_ENTRIES = 1000


@dataclass(frozen=True)
class StoredClient:
    client_id: str
    ciphertexts: dict  # {field: ciphertext} of the fields present
    masked: dict
    source: str
    consent_purpose: str | None
    consent_granted_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class StoredNote:
    note_id: str
    kind: str
    ciphertext: str
    created_by: str | None
    created_at: datetime


@dataclass(frozen=True)
class WrappedValue:
    """One ciphertext to rewrap: where it lives and the context it was made under."""

    table: str  # "clients" or "notes"
    row_id: str
    column: str
    ciphertext: str
    context: str


class ClientStorage:
    """Queries and row <-> record mapping of client_vault, over one session."""

    def __init__(self, session):
        self.session = session

    def _insert(self, model):
        dialect = self.session.get_bind().dialect.name
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)

    # -- clients -------------------------------------------------------------------------------
    def add_client(self, client_id, phone_index, ciphertexts, profile, created_by):
        """Insert a client unless its phone index exists; returns whether this call inserted it. Two
        concurrent inserts of one phone meet on the unique index: the later one inserts nothing."""
        result = self.session.execute(
            self._insert(Client).values(**_client_values(client_id, phone_index, ciphertexts, profile, created_by))
            .on_conflict_do_nothing(index_elements=["phone_index"]))
        return result.rowcount == 1

    def add_clients(self, records, created_by):
        """Bulk insert of ``[(client_id, phone_index, ciphertexts, profile)]``, skipping phones that
        exist by now; returns the set of client ids inserted. A Core insert with ``RETURNING``, so
        SQLAlchemy sends it as multi-row statements (insertmanyvalues, up to 1000 rows each): without
        ``RETURNING``, PostgreSQL's ``ON CONFLICT`` would go one row per round trip."""
        if not records:
            return set()
        table = Client.__table__
        values = [_client_values(cid, index, cts, profile, created_by) for cid, index, cts, profile in records]
        statement = self._insert(table).on_conflict_do_nothing(index_elements=["phone_index"]).returning(table.c.id)
        return set(self.session.scalars(statement, values))

    def client_ids_by_index(self, phone_indexes):
        """``{phone_index: client_id}`` of the indexes already stored."""
        found = {}
        for start in range(0, len(phone_indexes), 1000):
            chunk = phone_indexes[start:start + 1000]
            found.update(self.session.execute(
                sa.select(Client.phone_index, Client.id).where(Client.phone_index.in_(chunk))).all())
        return found

    def client_by_index(self, phone_index):
        row = self.session.scalar(sa.select(Client).where(Client.phone_index == phone_index))
        return _client(row) if row is not None else None

    def client(self, client_id):
        """The client; ``NotFound`` when there is none or it was erased."""
        row = self.session.get(Client, client_id)
        if row is None or row.erased_at is not None:
            raise NotFound("client not found")
        return _client(row)

    def update_client(self, client_id, ciphertexts, masked, record_changes, phone_index=None):
        """Replace changed ciphertexts (and the phone index); ``Conflict`` when the new phone is
        another client's."""
        row = self.session.get(Client, client_id, with_for_update=True)
        if phone_index is not None and phone_index != row.phone_index:
            owner = self.session.scalar(sa.select(Client.id).where(Client.phone_index == phone_index))
            if owner is not None:
                raise Conflict("another client has this phone")
            row.phone_index = phone_index
        for field, ciphertext in ciphertexts.items():
            setattr(row, CIPHERTEXT_COLUMNS[field], ciphertext)
        row.masked = {**row.masked, **masked}
        row.key_version = crypto.oldest_version(getattr(row, column) for column in CIPHERTEXT_COLUMNS.values())
        for column, value in record_changes.items():
            setattr(row, column, value)
        row.updated_at = utcnow()
        self.session.flush()
        return _client(row)

    def erase(self, client_id):
        """Remove the client's ciphertexts, blind index, masked forms and notes; the row stays as a
        tombstone (id, dates) so the audit log's references resolve to "erased"."""
        self.client(client_id)
        self.session.execute(sa.delete(Note).where(Note.client_id == client_id))
        self.session.execute(sa.update(Client).where(Client.id == client_id).values(
            phone_index=None, name_ct=None, phone_ct=None, id_number_ct=None, address_ct=None, masked=sa.null(),
            consent_purpose=None, consent_granted_at=None, erased_at=utcnow(), updated_at=utcnow()))

    # -- notes ---------------------------------------------------------------------------------
    def add_note(self, note_id, client_id, kind, ciphertext, created_by):
        self.session.add(Note(id=note_id, client_id=client_id, kind=kind, text_ct=ciphertext,
                              key_version=crypto.key_version(ciphertext), created_by=created_by))
        self.session.flush()

    def notes(self, client_id):
        rows = self.session.scalars(sa.select(Note).where(Note.client_id == client_id)
                                    .order_by(Note.created_at, Note.id))
        return [StoredNote(r.id, r.kind, r.text_ct, r.created_by, r.created_at) for r in rows]

    # -- rewrap --------------------------------------------------------------------------------
    def values_below(self, version, limit):
        """Up to ``limit`` rows (clients first, then notes) with a ciphertext older than ``version``,
        as ``WrappedValue``s. Rows already rewrapped are past the filter: a rewrap resumes by itself."""
        values = []
        clients = self.session.scalars(sa.select(Client).where(
            Client.key_version < version, Client.erased_at.is_(None)).order_by(Client.id).limit(limit)).all()
        for row in clients:
            for field, column in CIPHERTEXT_COLUMNS.items():
                ciphertext = getattr(row, column)
                if ciphertext and crypto.key_version(ciphertext) < version:
                    values.append(WrappedValue("clients", row.id, column, ciphertext,
                                               crypto.field_context(row.id, field)))
        room = limit - len(clients)
        if room > 0:
            for row in self.session.scalars(sa.select(Note).where(Note.key_version < version)
                                            .order_by(Note.id).limit(room)):
                values.append(WrappedValue("notes", row.id, "text_ct", row.text_ct,
                                           crypto.note_context(row.client_id, row.id)))
        return values

    def store_rewrapped(self, values, ciphertexts):
        """Put each rewrapped ciphertext in place of the old one and recompute the rows' versions."""
        by_row = {}
        for value, ciphertext in zip(values, ciphertexts, strict=True):
            by_row.setdefault((value.table, value.row_id), {})[value.column] = ciphertext
        for (table, row_id), columns in by_row.items():
            model = Client if table == "clients" else Note
            row = self.session.get(model, row_id)
            for column, ciphertext in columns.items():
                setattr(row, column, ciphertext)
            cts = [getattr(row, c) for c in CIPHERTEXT_COLUMNS.values()] if model is Client else [row.text_ct]
            row.key_version = crypto.oldest_version(cts)
        self.session.flush()

    def count_below(self, version):
        clients = self.session.scalar(sa.select(sa.func.count()).select_from(Client).where(
            Client.key_version < version, Client.erased_at.is_(None)))
        notes = self.session.scalar(sa.select(sa.func.count()).select_from(Note).where(Note.key_version < version))
        return clients + notes

    # -- the audit log -------------------------------------------------------------------------
    def append_audit(self, entry):
        """Append ``entry`` to the hash chain. The head row is updated first, which takes its lock
        (a row lock on PostgreSQL, the write lock on SQLite) before the previous hash is read, so
        concurrent appends queue up and each links to the one before."""
        table = AuditHead.__table__
        locked = self.session.execute(sa.update(table).where(table.c.id == HEAD_ID).values(length=table.c.length + 1))
        if locked.rowcount == 0:  # a database created without the migration's head row
            self.session.execute(self._insert(AuditHead).values(id=HEAD_ID, length=0, last_hash=domain.GENESIS_HASH)
                                 .on_conflict_do_nothing(index_elements=["id"]))
            self.session.execute(sa.update(table).where(table.c.id == HEAD_ID).values(length=table.c.length + 1))
        length, last_hash = self.session.execute(
            sa.select(table.c.length, table.c.last_hash).where(table.c.id == HEAD_ID)).one()
        placed = domain.chained(entry, length, last_hash)
        self.session.execute(sa.update(table).where(table.c.id == HEAD_ID).values(last_hash=placed.hash))
        self.session.add(AuditEntry(
            seq=placed.seq, at=placed.at, staff_id=placed.staff_id, role=placed.role, action=placed.action,
            client_id=placed.client_id, fields=list(placed.fields), purpose=placed.purpose,
            outcome=placed.outcome, reason=placed.reason, previous_hash=placed.previous_hash, hash=placed.hash))
        self.session.flush()
        return placed

    def audit_entries(self, client_id=None, staff_id=None, since=None, limit=MAX_AUDIT_ENTRIES):
        query = sa.select(AuditEntry)
        if client_id is not None:
            query = query.where(AuditEntry.client_id == client_id)
        if staff_id is not None:
            query = query.where(AuditEntry.staff_id == staff_id)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        return [_entry(r) for r in self.session.scalars(query.order_by(AuditEntry.seq).limit(limit))]

    def audit_chain(self):
        """``(every entry in seq order, head length, head hash)``."""
        entries = [_entry(r) for r in self.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq))]
        head = self.session.get(AuditHead, HEAD_ID)
        return entries, (head.length if head else 0), (head.last_hash if head else domain.GENESIS_HASH)

    def clients_disclosed_since(self, staff_id, since):
        """The distinct clients whose plaintext ``staff_id`` was shown since ``since``."""
        return frozenset(self.session.scalars(sa.select(AuditEntry.client_id).distinct().where(
            AuditEntry.staff_id == staff_id, AuditEntry.at >= since, AuditEntry.outcome == domain.ALLOWED,
            AuditEntry.action.in_(domain.DISCLOSING_ACTIONS))))

    def limit_refusals_since(self, staff_id, since):
        return self.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.staff_id == staff_id, AuditEntry.at >= since, AuditEntry.reason == domain.LIMIT_EXCEEDED))


def _client_values(client_id, phone_index, ciphertexts, profile, created_by):
    now = utcnow()
    return {"id": client_id, "phone_index": phone_index,
            **{CIPHERTEXT_COLUMNS[f]: ciphertexts.get(f) for f in CIPHERTEXT_COLUMNS},
            "key_version": crypto.oldest_version(ciphertexts.values()), "masked": profile.masked(),
            "source": profile.source, "consent_purpose": profile.consent_purpose,
            "consent_granted_at": profile.consent_granted_at, "created_by": created_by, "created_at": now,
            "updated_at": now}


def _client(row):
    ciphertexts = {field: getattr(row, column) for field, column in CIPHERTEXT_COLUMNS.items()
                   if getattr(row, column)}
    return StoredClient(row.id, ciphertexts, dict(row.masked or {}), row.source, row.consent_purpose,
                        row.consent_granted_at, row.created_at)


def _entry(row):
    return domain.AuditEntry(staff_id=row.staff_id, role=row.role, action=row.action, client_id=row.client_id,
                             fields=tuple(row.fields), purpose=row.purpose, outcome=row.outcome, reason=row.reason,
                             at=row.at, seq=row.seq, previous_hash=row.previous_hash, hash=row.hash)


def new_note_id():
    return new_id()


class ClientStore(Storage):
    """Injects ``ClientStorage`` over the worker's session."""

    wrapper = ClientStorage
