-- The change feed between processes sharing the database (docs/cluster.md, "Real time across
-- replicas"): every committed resource change and record append is announced on the channel
-- `reko_changes`. NOTIFY inside the writing transaction is delivered only at its commit, and
-- not at all after a rollback. `reko.origin` is the writing process's id (set on its pool's
-- connections), so a process can skip what it did itself.

-- Numbers every resource change: a listener that finds the sequence ahead of the last number it
-- was told knows it missed a notification.
CREATE SEQUENCE resource_changes;

CREATE FUNCTION reko_resource_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r resources;
BEGIN
    IF TG_OP = 'DELETE' THEN
        r := OLD;
    ELSE
        r := NEW;
    END IF;
    PERFORM pg_notify('reko_changes', json_build_object(
        'o', current_setting('reko.origin', true),
        'n', nextval('resource_changes'),
        'a', r.arn,
        'k', r.kind,
        'g', r.dataset_group_arn,
        'd', TG_OP = 'DELETE')::text);
    RETURN NULL;
END $$;

CREATE TRIGGER resources_changed AFTER INSERT OR UPDATE OR DELETE ON resources
    FOR EACH ROW EXECUTE FUNCTION reko_resource_changed();

-- One notification per dataset and transaction: identical payloads of a transaction are
-- delivered once, and the listener reads the new chunks itself.
CREATE FUNCTION reko_records_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('reko_changes', json_build_object(
        'o', current_setting('reko.origin', true),
        'r', NEW.dataset_arn)::text);
    RETURN NULL;
END $$;

CREATE TRIGGER record_chunks_added AFTER INSERT ON record_chunks
    FOR EACH ROW EXECUTE FUNCTION reko_records_added();
