-- Run once by the postgres image on first start (an empty data volume), as the superuser.
-- The application role: it logs in and owns its database, and it is neither superuser nor
-- BYPASSRLS. Row-level security therefore binds it, and FORCE binds it even as the tables'
-- owner (see crm/tenancy/README.md).
-- The password comes from the container's environment (CRM_DB_PASSWORD).

\set ON_ERROR_STOP on
\getenv crm_password CRM_DB_PASSWORD

SELECT :'crm_password' <> '' AS password_given \gset
\if :password_given
\else
  \echo 'CRM_DB_PASSWORD is empty: refusing to create the role crm without a password'
  SELECT 1/0;
\endif

CREATE ROLE crm LOGIN PASSWORD :'crm_password'
    NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;

-- Owning the database gives crm the public schema (PostgreSQL 15+: owned by
-- pg_database_owner), so it can run the migrations and manage RLS on its own tables.
CREATE DATABASE crm OWNER crm ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE crm FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE crm TO crm;

-- Search and filter indexes under row-level security (see search-operators.sql).
\connect crm
\i /docker/search-operators.sql
