"""The ticket service's own tables (its business tables come with its own issue)."""
from sqlalchemy.orm import DeclarativeBase

from anchang_common.tables import add_common_tables


class Base(DeclarativeBase):
    pass


add_common_tables(Base.metadata)
