-- The warehouse database, created on the first start of the `warehouse` container (empty data
-- volume only: /docker-entrypoint-initdb.d scripts never run again). The name comes from
-- CSC_PG_DATABASE, as everywhere else (src/csc_warehouse/config.py).
--
-- Database roles (loader, transformer, bi_reader, case_reader) and their grants are NOT made
-- here: the project's own `csc-warehouse` role setup creates them (a later issue), the same
-- way on a local install and on Docker; the airflow-init service calls it once it exists.
-- Schemas and tables are made by the loader and by dbt.

\set ON_ERROR_STOP on
\getenv warehouse_db CSC_PG_DATABASE
\if :{?warehouse_db}
\else
  \set warehouse_db csc_warehouse
\endif

select format('create database %I', :'warehouse_db')
where not exists (select from pg_database where datname = :'warehouse_db')
\gexec
