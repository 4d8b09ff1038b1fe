"""The client_vault service's own tables. No column holds a client's data in plaintext: PII is kept
as Vault ciphertexts (``*_ct``), the phone as its Vault HMAC (``phone_index``), and the masked view
(``masked``) as computed when the data was written."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from anchang_common.tables import add_common_tables
from anchang_common.types import UtcDateTime, new_id, utcnow


class Base(DeclarativeBase):
    pass


add_common_tables(Base.metadata)


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    #: the blind index: Vault's HMAC of the E.164 phone (``vault:v1:...``); NULL once erased. Unique:
    #: two registrations of one phone, however concurrent, make one client
    phone_index: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    name_ct: Mapped[str | None] = mapped_column(sa.Text)
    phone_ct: Mapped[str | None] = mapped_column(sa.Text)
    id_number_ct: Mapped[str | None] = mapped_column(sa.Text)
    address_ct: Mapped[str | None] = mapped_column(sa.Text)
    #: the oldest key version among the row's ciphertexts: ``rewrap`` selects rows below the newest
    key_version: Mapped[int] = mapped_column(sa.Integer, index=True)
    masked: Mapped[dict | None] = mapped_column(sa.JSON)
    source: Mapped[str] = mapped_column(sa.String(40))
    consent_purpose: Mapped[str | None] = mapped_column(sa.String(40))
    consent_granted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    text_ct: Mapped[str] = mapped_column(sa.Text)
    key_version: Mapped[int] = mapped_column(sa.Integer, index=True)
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AuditEntry(Base):
    """One audited act, hash-chained to the one before (``client_vault.domain.entry_hash``)."""

    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_staff_at", "staff_id", "at"),)

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    staff_id: Mapped[str | None] = mapped_column(sa.String(64))
    role: Mapped[str | None] = mapped_column(sa.String(20))
    action: Mapped[str] = mapped_column(sa.String(20))
    client_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    fields: Mapped[list] = mapped_column(sa.JSON)
    purpose: Mapped[str | None] = mapped_column(sa.String(40))
    outcome: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str | None] = mapped_column(sa.String(40))
    previous_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditHead(Base):
    """The chain's head: one row, locked by every append so appends are serialised and the chain
    stays a chain under concurrent writers; its length and last hash also reveal a removed tail."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    length: Mapped[int] = mapped_column(sa.Integer)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
