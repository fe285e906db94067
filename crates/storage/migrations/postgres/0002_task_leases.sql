-- Task leases (docs/cluster.md): a running task belongs to the worker that claimed it until its
-- lease expires; the worker's heartbeat renews it, another worker takes over an expired one.
-- Tasks running when this migration is applied have no lease: they count as expired.
ALTER TABLE tasks ADD COLUMN owner TEXT;
ALTER TABLE tasks ADD COLUMN lease_expires DOUBLE PRECISION;
CREATE INDEX tasks_running_lease ON tasks (lease_expires) WHERE state = 'running';
