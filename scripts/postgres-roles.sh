#!/bin/sh
# docker-compose: run once by the postgres image when it creates its data directory. The owner
# role runs migrations and owns every table; the application role owns nothing (phonix/db_roles.py).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE phonix_owner LOGIN PASSWORD '$PHONIX_OWNER_PASSWORD';
CREATE ROLE phonix_app LOGIN PASSWORD '$PHONIX_APP_PASSWORD';
CREATE DATABASE phonix OWNER phonix_owner;
SQL
