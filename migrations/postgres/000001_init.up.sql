-- scimd initial schema. Every table is scoped by tenant: tenant_id leads every primary key and
-- unique index, so tenancy is enforced by the keys themselves and the layout is ready for
-- sharding by tenant. Ids are UUIDs generated in Go; times are timestamptz written in UTC.
BEGIN;

CREATE TABLE tenants (
    id         uuid        NOT NULL,
    name       text        NOT NULL,
    name_fold  text        NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT tenants_pkey PRIMARY KEY (id),
    CONSTRAINT tenants_name_fold_key UNIQUE (name_fold)
);

CREATE TABLE tokens (
    id           uuid        NOT NULL,
    tenant_id    uuid        NOT NULL,
    label        text        NOT NULL,
    hash         bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT tokens_pkey PRIMARY KEY (id),
    -- The hash is unique across tenants, not per tenant: a request is authenticated before its
    -- tenant is known, and the token's hash is what tells us the tenant.
    CONSTRAINT tokens_hash_key UNIQUE (hash),
    CONSTRAINT tokens_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE INDEX tokens_tenant_idx ON tokens (tenant_id, created_at);

CREATE TABLE users (
    tenant_id         uuid        NOT NULL,
    id                uuid        NOT NULL,
    user_name         text        NOT NULL,
    user_name_fold    text        NOT NULL,
    external_id       text,
    display_name      text,
    display_name_fold text,
    active            boolean,
    doc               jsonb       NOT NULL,
    password_hash     text,
    version           bigint      NOT NULL,
    created_at        timestamptz NOT NULL,
    last_modified     timestamptz NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX users_user_name_fold_key ON users (tenant_id, user_name_fold);
CREATE INDEX users_external_id_idx ON users (tenant_id, external_id);
CREATE INDEX users_display_name_fold_idx ON users (tenant_id, display_name_fold);
CREATE INDEX users_active_idx ON users (tenant_id, active);
CREATE INDEX users_created_at_idx ON users (tenant_id, created_at, id);
CREATE INDEX users_last_modified_idx ON users (tenant_id, last_modified);

-- One row per element of a user's emails, rewritten with the user, so that filters on
-- emails.value are index lookups.
CREATE TABLE user_emails (
    tenant_id  uuid NOT NULL,
    user_id    uuid NOT NULL,
    ord        int  NOT NULL,
    value_fold text NOT NULL,
    type       text,
    CONSTRAINT user_emails_pkey PRIMARY KEY (tenant_id, user_id, ord),
    CONSTRAINT user_emails_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_emails_value_fold_idx ON user_emails (tenant_id, value_fold);

-- displayName is deliberately not unique (RFC 7643: uniqueness none; a 409 would make Entra ID
-- merge two different groups by name).
CREATE TABLE groups (
    tenant_id         uuid        NOT NULL,
    id                uuid        NOT NULL,
    display_name      text        NOT NULL,
    display_name_fold text        NOT NULL,
    external_id       text,
    doc               jsonb       NOT NULL,
    version           bigint      NOT NULL,
    created_at        timestamptz NOT NULL,
    last_modified     timestamptz NOT NULL,
    CONSTRAINT groups_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT groups_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE INDEX groups_display_name_fold_idx ON groups (tenant_id, display_name_fold);
CREATE INDEX groups_external_id_idx ON groups (tenant_id, external_id);
CREATE INDEX groups_created_at_idx ON groups (tenant_id, created_at, id);
CREATE INDEX groups_last_modified_idx ON groups (tenant_id, last_modified);

-- Memberships are rows, not a list in the group's document, so that PATCH add/remove are set
-- operations. member_id has no foreign key because it names a user or a group; the store
-- deletes a resource's memberships with it.
CREATE TABLE group_members (
    tenant_id   uuid NOT NULL,
    group_id    uuid NOT NULL,
    member_id   uuid NOT NULL,
    member_type text NOT NULL,
    CONSTRAINT group_members_pkey PRIMARY KEY (tenant_id, group_id, member_id),
    CONSTRAINT group_members_group_fkey FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT group_members_member_type_check CHECK (member_type IN ('User', 'Group'))
);
CREATE INDEX group_members_member_idx ON group_members (tenant_id, member_id, group_id);

-- The provisioning log: one row per change, written in the change's transaction. token_id is
-- text without a foreign key so that events outlive revoked and deleted tokens.
CREATE TABLE events (
    tenant_id     uuid        NOT NULL,
    id            bigint      GENERATED ALWAYS AS IDENTITY,
    at            timestamptz NOT NULL,
    token_id      text,
    operation     text        NOT NULL,
    resource_type text        NOT NULL,
    resource_id   text        NOT NULL,
    outcome       text        NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT events_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE INDEX events_at_idx ON events (tenant_id, at);

COMMIT;
