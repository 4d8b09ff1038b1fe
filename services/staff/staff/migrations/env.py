from anchang_common.migrations import run_migrations
from staff.models import Base

run_migrations(Base.metadata)
