-- scimd initial schema for the embedded SQLite backend: the same tables, columns, keys and
-- indexes as migrations/postgres/000001_init.up.sql, in SQLite's types. Keep the two in step.
--
-- Type mapping: uuid -> TEXT (canonical lower-case form, generated in Go), jsonb -> TEXT (JSON
-- text, read with the JSON1 functions), boolean -> INTEGER 0/1, bytea -> BLOB, timestamptz ->
-- TEXT in UTC as "YYYY-MM-DDTHH:MM:SS.ffffffZ" (fixed width, so text order is time order, and
-- julianday() reads it for filters). Tables are STRICT so that a value of the wrong type is an
-- error, as it would be on Postgres, instead of being stored as whatever it happens to be.
--
-- No BEGIN/COMMIT: the migration runner (internal/store/sqlite/migrate.go) runs a whole
-- migration operation in one transaction, as golang-migrate's sqlite driver would run each file.

CREATE TABLE tenants (
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    name_fold  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT tenants_pkey PRIMARY KEY (id),
    CONSTRAINT tenants_name_fold_key UNIQUE (name_fold)
) STRICT;

CREATE TABLE tokens (
    id           TEXT NOT NULL,
    tenant_id    TEXT NOT NULL,
    label        TEXT NOT NULL,
    hash         BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT,
    CONSTRAINT tokens_pkey PRIMARY KEY (id),
    -- Unique across tenants: the hash is what tells an incoming request its tenant.
    CONSTRAINT tokens_hash_key UNIQUE (hash),
    CONSTRAINT tokens_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) STRICT;
CREATE INDEX tokens_tenant_idx ON tokens (tenant_id, created_at);

CREATE TABLE users (
    tenant_id         TEXT    NOT NULL,
    id                TEXT    NOT NULL,
    user_name         TEXT    NOT NULL,
    user_name_fold    TEXT    NOT NULL,
    external_id       TEXT,
    display_name      TEXT,
    display_name_fold TEXT,
    active            INTEGER CHECK (active IN (0, 1)),
    doc               TEXT    NOT NULL CHECK (json_valid(doc)),
    password_hash     TEXT,
    version           INTEGER NOT NULL,
    created_at        TEXT    NOT NULL,
    last_modified     TEXT    NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) STRICT;
-- user_name_fold is scim.Fold(userName), computed in Go on both backends, so that uniqueness
-- is the same Unicode-aware case-insensitive rule everywhere.
CREATE UNIQUE INDEX users_user_name_fold_key ON users (tenant_id, user_name_fold);
CREATE INDEX users_external_id_idx ON users (tenant_id, external_id);
CREATE INDEX users_display_name_fold_idx ON users (tenant_id, display_name_fold);
CREATE INDEX users_active_idx ON users (tenant_id, active);
CREATE INDEX users_created_at_idx ON users (tenant_id, created_at, id);
CREATE INDEX users_last_modified_idx ON users (tenant_id, last_modified);

CREATE TABLE user_emails (
    tenant_id  TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    ord        INTEGER NOT NULL,
    value_fold TEXT    NOT NULL,
    type       TEXT,
    CONSTRAINT user_emails_pkey PRIMARY KEY (tenant_id, user_id, ord),
    CONSTRAINT user_emails_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX user_emails_value_fold_idx ON user_emails (tenant_id, value_fold);

-- displayName is deliberately not unique (RFC 7643: uniqueness none).
CREATE TABLE groups (
    tenant_id         TEXT    NOT NULL,
    id                TEXT    NOT NULL,
    display_name      TEXT    NOT NULL,
    display_name_fold TEXT    NOT NULL,
    external_id       TEXT,
    doc               TEXT    NOT NULL CHECK (json_valid(doc)),
    version           INTEGER NOT NULL,
    created_at        TEXT    NOT NULL,
    last_modified     TEXT    NOT NULL,
    CONSTRAINT groups_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT groups_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) STRICT;
CREATE INDEX groups_display_name_fold_idx ON groups (tenant_id, display_name_fold);
CREATE INDEX groups_external_id_idx ON groups (tenant_id, external_id);
CREATE INDEX groups_created_at_idx ON groups (tenant_id, created_at, id);
CREATE INDEX groups_last_modified_idx ON groups (tenant_id, last_modified);

-- member_id has no foreign key because it names a user or a group; the store deletes a
-- resource's memberships with it.
CREATE TABLE group_members (
    tenant_id   TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    member_type TEXT NOT NULL,
    CONSTRAINT group_members_pkey PRIMARY KEY (tenant_id, group_id, member_id),
    CONSTRAINT group_members_group_fkey FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT group_members_member_type_check CHECK (member_type IN ('User', 'Group'))
) STRICT;
CREATE INDEX group_members_member_idx ON group_members (tenant_id, member_id, group_id);

-- The provisioning log. SQLite can auto-number only a single-column INTEGER PRIMARY KEY, so id
-- is the key here and (tenant_id, id) a unique index, where Postgres has the composite key.
-- AUTOINCREMENT keeps ids increasing and never reused, like an identity column, so that
-- paging by "id greater than the last seen" never skips or repeats an event.
CREATE TABLE events (
    id            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    tenant_id     TEXT    NOT NULL,
    at            TEXT    NOT NULL,
    token_id      TEXT,
    operation     TEXT    NOT NULL,
    resource_type TEXT    NOT NULL,
    resource_id   TEXT    NOT NULL,
    outcome       TEXT    NOT NULL,
    CONSTRAINT events_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX events_tenant_id_key ON events (tenant_id, id);
CREATE INDEX events_at_idx ON events (tenant_id, at);
