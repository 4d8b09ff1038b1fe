from anchang_common.migrations import run_migrations
from ticket.models import Base

run_migrations(Base.metadata)
