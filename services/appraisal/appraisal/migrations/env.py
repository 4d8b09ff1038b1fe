from anchang_common.migrations import run_migrations
from appraisal.models import Base

run_migrations(Base.metadata)
