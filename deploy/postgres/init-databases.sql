-- Databases of the docker compose stack: one per service (docs/contributing.md#package-layout), each owned by a role of that
-- service only (docs/architecture.md#security-model), so no service can read another one's tables. The postgres image runs
-- this once, when its data volume is empty (`docker compose down -v` to run it again).
-- Development passwords: they are repeated in docker-compose.yml and are for that stack only.

CREATE ROLE staff LOGIN PASSWORD 'staff-dev';
CREATE ROLE client_vault LOGIN PASSWORD 'client_vault-dev';
CREATE ROLE ticket LOGIN PASSWORD 'ticket-dev';
CREATE ROLE appraisal LOGIN PASSWORD 'appraisal-dev';

CREATE DATABASE staff OWNER staff;
CREATE DATABASE client_vault OWNER client_vault;
CREATE DATABASE ticket OWNER ticket;
CREATE DATABASE appraisal OWNER appraisal;

REVOKE ALL ON DATABASE staff, client_vault, ticket, appraisal FROM PUBLIC;
