from anchang_common.migrations import run_migrations
from client_vault.models import Base

run_migrations(Base.metadata)
