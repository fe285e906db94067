-- The PostgreSQL store's first schema: the same tables as the embedded SQLite store
-- (crates/storage/src/sqlite.rs), in PostgreSQL types. Applied once, in a transaction, by
-- crates/storage/src/postgres/migrate.rs.

-- Every Personalize resource as its Describe document. The document stays TEXT (not JSONB) so it
-- comes back byte for byte, keys in the order they were written.
CREATE TABLE resources (
    arn TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    unique_name BOOLEAN NOT NULL,
    parent_arn TEXT,
    dataset_group_arn TEXT,
    status TEXT NOT NULL,
    created DOUBLE PRECISION NOT NULL,
    updated DOUBLE PRECISION NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX resources_kind ON resources (kind, created);
CREATE INDEX resources_parent ON resources (parent_arn);

-- Datasets' records as encoded chunks; seq orders them and is what derived state read up to.
CREATE TABLE record_chunks (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_arn TEXT NOT NULL,
    source TEXT NOT NULL,
    rows BIGINT NOT NULL,
    data BYTEA NOT NULL
);
-- Chunks are encoded already: stored out of line without PostgreSQL's compression attempt.
ALTER TABLE record_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX record_chunks_dataset ON record_chunks (dataset_arn, seq);

CREATE TABLE tasks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    resource_arn TEXT NOT NULL,
    state TEXT NOT NULL,
    progress DOUBLE PRECISION NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '',
    attempts BIGINT NOT NULL DEFAULT 0,
    created DOUBLE PRECISION NOT NULL,
    updated DOUBLE PRECISION NOT NULL
);
CREATE INDEX tasks_state ON tasks (state, id);

CREATE TABLE resource_tags (
    arn TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (arn, tag_key)
);

-- Runtime requests per campaign and 5-minute window (docs/usage.md).
CREATE TABLE campaign_usage (
    campaign_arn TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    dataset_group_arn TEXT,
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    min_provisioned_tps BIGINT NOT NULL,
    PRIMARY KEY (campaign_arn, window_start)
);
CREATE INDEX campaign_usage_window ON campaign_usage (window_start);

-- Due work (automatic training, ...): when each resource's work of a kind is next due.
CREATE TABLE schedule (
    resource_arn TEXT NOT NULL,
    kind TEXT NOT NULL,
    due_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (resource_arn, kind)
);
CREATE INDEX schedule_due ON schedule (due_at);

-- Attributed event metrics per metric attribution, metric, source and 15-minute window.
CREATE TABLE attribution_values (
    metric_attribution_arn TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    source TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (metric_attribution_arn, metric_name, source, window_start)
);

-- A/B experiments: requests per experiment, arm and user (a user id or a session id).
CREATE TABLE experiment_exposures (
    experiment_arn TEXT NOT NULL,
    arm BIGINT NOT NULL,
    user_key TEXT NOT NULL,
    requests BIGINT NOT NULL,
    first_seen DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (experiment_arn, arm, user_key)
);
-- Events carrying an arm's recommendation id, per experiment, arm, user and event type.
CREATE TABLE experiment_conversions (
    experiment_arn TEXT NOT NULL,
    arm BIGINT NOT NULL,
    user_key TEXT NOT NULL,
    event_type TEXT NOT NULL,
    events BIGINT NOT NULL,
    value_sum DOUBLE PRECISION NOT NULL,
    impressions BIGINT NOT NULL,
    first_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (experiment_arn, arm, user_key, event_type)
);

-- Event collection's idempotency keys per dataset, written in the transaction of their records.
CREATE TABLE dedupe_keys (
    dataset_arn TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (dataset_arn, dedupe_key)
);
CREATE INDEX dedupe_keys_seen ON dedupe_keys (seen_at);
-- Collected events refused, newest kept.
CREATE TABLE dead_letters (
    id BIGSERIAL PRIMARY KEY,
    at DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,
    dataset_group_arn TEXT,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    payload TEXT NOT NULL
);
