-- The warehouse database, created on the first start of the `warehouse` container (empty data
-- volume only: /docker-entrypoint-initdb.d scripts never run again). The name comes from
-- CSC_PG_DATABASE, as everywhere else (src/csc_warehouse/config.py).
--
-- Database roles (csc_loader, csc_transformer, csc_bi_reader, csc_case_reader) and their
-- grants are NOT made here: `csc-warehouse db start` (src/csc_warehouse/roles.py) creates them,
-- the same way on a local install and on Docker, where the airflow-init service runs it.
-- It also makes the raw, ops and pipeline schemas; tables are made by the loader (as
-- csc_loader) and by dbt (as csc_transformer).

\set ON_ERROR_STOP on
\getenv warehouse_db CSC_PG_DATABASE
\if :{?warehouse_db}
\else
  \set warehouse_db csc_warehouse
\endif

select format('create database %I', :'warehouse_db')
where not exists (select from pg_database where datname = :'warehouse_db')
\gexec
