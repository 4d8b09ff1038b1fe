"""The appraisal service's own tables."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from anchang_common.tables import add_common_tables
from anchang_common.types import UtcDateTime, utcnow


class Base(DeclarativeBase):
    pass


add_common_tables(Base.metadata)


class Template(Base):
    """An appraisal template: weighted dimensions of weighted KPIs."""

    __tablename__ = "templates"

    code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    definition: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
