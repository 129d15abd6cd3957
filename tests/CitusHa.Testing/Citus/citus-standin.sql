-- A stand-in for the part of Citus 13 the CitusHa agent touches, for machines without the extension
-- (CI). Same names, signatures, column types, unique (nodename, nodeport) rule and nodeid semantics
-- as real Citus 13.2 (shared/design/reference/CITUS-13-CATALOG.md); no distributed queries, no
-- shards, no metadata sync. Every call is logged in citus_standin.calls with its transaction id, so
-- tests can check which statements ran together. Stricter than Citus never looser: adding or removing
-- a node after a primary row changed in the same transaction fails, as the 2PC does in real Citus.
-- Installed by the tests into the Citus database of the coordinator's primary; never by the agent.
SET allow_system_table_mods = on;

CREATE SCHEMA citus_standin;
CREATE TABLE citus_standin.calls (
    id bigserial PRIMARY KEY,
    xid bigint NOT NULL DEFAULT pg_catalog.txid_current(),
    fn text NOT NULL,
    args text NOT NULL,
    at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp());

CREATE TYPE pg_catalog.noderole AS ENUM ('primary', 'secondary', 'unavailable');
CREATE SEQUENCE pg_catalog.pg_dist_node_nodeid_seq MINVALUE 1;
CREATE SEQUENCE pg_catalog.pg_dist_groupid_seq MINVALUE 1;

CREATE TABLE pg_catalog.pg_dist_node (
    nodeid integer NOT NULL DEFAULT nextval('pg_catalog.pg_dist_node_nodeid_seq') PRIMARY KEY,
    groupid integer NOT NULL DEFAULT nextval('pg_catalog.pg_dist_groupid_seq'),
    nodename text NOT NULL,
    nodeport integer NOT NULL DEFAULT 5432,
    noderack text NOT NULL DEFAULT 'default',
    hasmetadata boolean NOT NULL DEFAULT false,
    isactive boolean NOT NULL DEFAULT true,
    noderole pg_catalog.noderole NOT NULL DEFAULT 'primary',
    nodecluster name NOT NULL DEFAULT 'default',
    metadatasynced boolean DEFAULT false,
    shouldhaveshards boolean NOT NULL DEFAULT true,
    nodeisclone boolean NOT NULL DEFAULT false,
    nodeprimarynodeid integer NOT NULL DEFAULT 0,
    CONSTRAINT pg_dist_node_nodename_nodeport_key UNIQUE (nodename, nodeport),
    CONSTRAINT primaries_are_only_allowed_in_the_default_cluster CHECK (NOT (nodecluster <> 'default' AND noderole = 'primary')));

CREATE TABLE pg_catalog.pg_dist_authinfo (
    nodeid integer NOT NULL,
    rolename name NOT NULL,
    authinfo text NOT NULL);
CREATE UNIQUE INDEX pg_dist_authinfo_identification_index ON pg_catalog.pg_dist_authinfo (rolename, nodeid DESC);

CREATE FUNCTION citus_standin.log(fn text, args text) RETURNS void LANGUAGE sql AS
$$ INSERT INTO citus_standin.calls (fn, args) VALUES (fn, args) $$;

CREATE FUNCTION citus_standin.refuse_after_primary_change(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('citus_standin.primary_changed_in', true) = pg_catalog.txid_current()::text THEN
        RAISE EXCEPTION 'cannot % a node: a primary node changed in this transaction and metadata is not in sync', what
            USING HINT = 'Commit first, then add or remove nodes (Citus runs these as 2PC on every primary).';
    END IF;
END $$;

CREATE FUNCTION pg_catalog.citus_add_node(nodename text, nodeport integer, groupid integer DEFAULT '-1'::integer,
    noderole pg_catalog.noderole DEFAULT 'primary'::pg_catalog.noderole, nodecluster name DEFAULT 'default'::name)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    existing integer;
    gid integer := groupid;
BEGIN
    PERFORM citus_standin.log('citus_add_node', format('%s, %s, %s, %s, %s', nodename, nodeport, groupid, noderole, nodecluster));
    SELECT n.nodeid INTO existing FROM pg_catalog.pg_dist_node n WHERE n.nodename = citus_add_node.nodename AND n.nodeport = citus_add_node.nodeport;
    IF existing IS NOT NULL THEN
        RETURN existing; -- Citus: adding a node that exists returns its id
    END IF;
    PERFORM citus_standin.refuse_after_primary_change('add');
    IF gid = -1 THEN
        gid := nextval('pg_catalog.pg_dist_groupid_seq');
    END IF;
    IF noderole = 'primary' AND EXISTS (SELECT 1 FROM pg_catalog.pg_dist_node n WHERE n.groupid = gid AND n.noderole = 'primary') THEN
        RAISE EXCEPTION 'group % already has a primary node', gid;
    END IF;
    IF noderole = 'secondary' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_node n WHERE n.groupid = gid AND n.noderole = 'primary') THEN
        RAISE EXCEPTION 'group % has no primary node: add the primary first', gid;
    END IF;
    INSERT INTO pg_catalog.pg_dist_node (groupid, nodename, nodeport, noderole, nodecluster, hasmetadata, metadatasynced)
        VALUES (gid, nodename, nodeport, noderole, nodecluster, true, true)
        RETURNING pg_dist_node.nodeid INTO existing;
    RETURN existing;
END $$;

CREATE FUNCTION pg_catalog.citus_update_node(node_id integer, new_node_name text, new_node_port integer,
    force boolean DEFAULT false, lock_cooldown integer DEFAULT 10000)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    row pg_catalog.pg_dist_node;
BEGIN
    PERFORM citus_standin.log('citus_update_node', format('%s, %s, %s, %s, %s', node_id, new_node_name, new_node_port, force, lock_cooldown));
    SELECT * INTO row FROM pg_catalog.pg_dist_node WHERE nodeid = node_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'node % not found', node_id;
    END IF;
    UPDATE pg_catalog.pg_dist_node SET nodename = new_node_name, nodeport = new_node_port WHERE nodeid = node_id;
    IF row.noderole = 'primary' THEN
        PERFORM set_config('citus_standin.primary_changed_in', pg_catalog.txid_current()::text, true);
    END IF;
END $$;

CREATE FUNCTION pg_catalog.citus_remove_node(nodename text, nodeport integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM citus_standin.log('citus_remove_node', format('%s, %s', nodename, nodeport));
    PERFORM citus_standin.refuse_after_primary_change('remove');
    DELETE FROM pg_catalog.pg_dist_node n WHERE n.nodename = citus_remove_node.nodename AND n.nodeport = citus_remove_node.nodeport;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'node at "%:%" does not exist', nodename, nodeport;
    END IF;
END $$;

CREATE FUNCTION pg_catalog.citus_set_coordinator_host(host text, port integer DEFAULT (current_setting('port'::text))::integer,
    node_role pg_catalog.noderole DEFAULT 'primary'::pg_catalog.noderole, node_cluster name DEFAULT 'default'::name)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM citus_standin.log('citus_set_coordinator_host', format('%s, %s, %s, %s', host, port, node_role, node_cluster));
    UPDATE pg_catalog.pg_dist_node SET nodename = host, nodeport = port WHERE groupid = 0 AND noderole = 'primary';
    IF NOT FOUND THEN
        INSERT INTO pg_catalog.pg_dist_node (groupid, nodename, nodeport, noderole, nodecluster, hasmetadata, metadatasynced)
            VALUES (0, host, port, node_role, node_cluster, true, true);
    END IF;
END $$;

-- The background rebalancer (Citus 11.1+): jobs and tasks in the same catalog tables, the same
-- functions and errors. There are no shards here, so the moves a rebalance would make are declared by
-- the test in citus_standin.planned_moves; citus_rebalance_start turns them into one job whose tasks
-- run one after another, each taking its declared duration of wall-clock time (settled whenever a
-- status is read, where real Citus has background workers). A planned move with fail_with errors with
-- that message when its turn ends, and the job fails, as real Citus' does when a move errors.
CREATE SCHEMA IF NOT EXISTS citus;
CREATE TYPE citus.shard_transfer_mode AS ENUM ('auto', 'force_logical', 'block_writes');
CREATE TYPE pg_catalog.citus_job_status AS ENUM ('scheduled', 'running', 'finished', 'cancelling', 'cancelled', 'failing', 'failed');
CREATE TYPE pg_catalog.citus_task_status AS ENUM ('blocked', 'runnable', 'running', 'done', 'cancelling', 'error', 'unscheduled', 'cancelled');

CREATE TABLE pg_catalog.pg_dist_background_job (
    job_id bigserial NOT NULL PRIMARY KEY,
    state pg_catalog.citus_job_status DEFAULT 'scheduled' NOT NULL,
    job_type name NOT NULL,
    description text NOT NULL,
    started_at timestamptz,
    finished_at timestamptz);

CREATE TABLE pg_catalog.pg_dist_background_task (
    job_id bigint NOT NULL REFERENCES pg_catalog.pg_dist_background_job(job_id),
    task_id bigserial NOT NULL PRIMARY KEY,
    owner regrole NOT NULL DEFAULT CURRENT_USER::regrole,
    pid integer,
    status pg_catalog.citus_task_status DEFAULT 'runnable' NOT NULL,
    command text NOT NULL,
    retry_count integer,
    not_before timestamptz,
    message text NOT NULL DEFAULT '',
    nodes_involved integer[]);

CREATE TABLE citus_standin.planned_moves (
    shardid bigint NOT NULL,
    source text NOT NULL,
    target text NOT NULL,
    duration interval NOT NULL DEFAULT '300 milliseconds',
    fail_with text);

CREATE TABLE citus_standin.task_moves (
    task_id bigint PRIMARY KEY,
    source text NOT NULL,
    target text NOT NULL,
    duration interval NOT NULL,
    fail_with text);

CREATE FUNCTION pg_catalog.citus_rebalance_start(rebalance_strategy name DEFAULT NULL::name, drain_only boolean DEFAULT false,
    shard_transfer_mode citus.shard_transfer_mode DEFAULT 'auto'::citus.shard_transfer_mode,
    parallel_transfer_reference_tables boolean DEFAULT false, parallel_transfer_colocated_shards boolean DEFAULT false)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    running bigint;
    new_job bigint;
    move record;
    new_task bigint;
    first boolean := true;
BEGIN
    PERFORM citus_standin.log('citus_rebalance_start', format('%s, %s, %s, %s, %s', rebalance_strategy, drain_only, shard_transfer_mode,
        parallel_transfer_reference_tables, parallel_transfer_colocated_shards));
    PERFORM citus_standin.settle_jobs();
    SELECT j.job_id INTO running FROM pg_catalog.pg_dist_background_job j
        WHERE j.job_type = 'rebalance' AND j.state NOT IN ('finished', 'cancelled', 'failed') ORDER BY j.job_id LIMIT 1;
    IF running IS NOT NULL THEN
        RAISE EXCEPTION 'A rebalance is already running as job %', running
            USING DETAIL = 'A rebalance was already scheduled as background job',
                  HINT = 'To monitor progress, run: SELECT * FROM citus_rebalance_status();';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM citus_standin.planned_moves) THEN
        RAISE NOTICE 'No moves available for rebalancing';
        RETURN NULL;
    END IF;
    INSERT INTO pg_catalog.pg_dist_background_job (state, job_type, description, started_at)
        VALUES ('running', 'rebalance', 'Rebalance all colocation groups', pg_catalog.clock_timestamp())
        RETURNING job_id INTO new_job;
    FOR move IN DELETE FROM citus_standin.planned_moves RETURNING * LOOP
        INSERT INTO pg_catalog.pg_dist_background_task (job_id, status, command)
            VALUES (new_job, CASE WHEN first THEN 'running' ELSE 'blocked' END::pg_catalog.citus_task_status,
                format('SELECT pg_catalog.citus_move_shard_placement(%s,%L,%L,%L)', move.shardid, move.source, move.target, shard_transfer_mode))
            RETURNING task_id INTO new_task;
        INSERT INTO citus_standin.task_moves VALUES (new_task, move.source, move.target, move.duration, move.fail_with);
        first := false;
    END LOOP;
    RETURN new_job;
END $$;

-- Brings every unfinished job up to now: its tasks run one after another for their durations.
CREATE FUNCTION citus_standin.settle_jobs() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    job record;
    task record;
    ends timestamptz;
    failed boolean;
BEGIN
    FOR job IN SELECT * FROM pg_catalog.pg_dist_background_job WHERE state = 'running' ORDER BY job_id FOR UPDATE LOOP
        ends := job.started_at;
        failed := false;
        FOR task IN SELECT t.task_id, t.status, m.duration, m.fail_with FROM pg_catalog.pg_dist_background_task t
                JOIN citus_standin.task_moves m USING (task_id) WHERE t.job_id = job.job_id ORDER BY t.task_id LOOP
            ends := ends + task.duration;
            IF failed THEN
                UPDATE pg_catalog.pg_dist_background_task SET status = 'unscheduled' WHERE task_id = task.task_id;
            ELSIF ends <= pg_catalog.clock_timestamp() THEN
                IF task.fail_with IS NOT NULL THEN
                    UPDATE pg_catalog.pg_dist_background_task SET status = 'error', message = task.fail_with, retry_count = 1 WHERE task_id = task.task_id;
                    failed := true;
                ELSE
                    UPDATE pg_catalog.pg_dist_background_task SET status = 'done' WHERE task_id = task.task_id;
                END IF;
            ELSE
                UPDATE pg_catalog.pg_dist_background_task SET status = 'running', pid = pg_catalog.pg_backend_pid() WHERE task_id = task.task_id AND status <> 'running';
                EXIT;
            END IF;
        END LOOP;
        IF failed THEN
            UPDATE pg_catalog.pg_dist_background_job SET state = 'failed', finished_at = pg_catalog.clock_timestamp() WHERE job_id = job.job_id;
        ELSIF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_background_task WHERE job_id = job.job_id AND status <> 'done') THEN
            UPDATE pg_catalog.pg_dist_background_job SET state = 'finished', finished_at = pg_catalog.clock_timestamp() WHERE job_id = job.job_id;
        END IF;
    END LOOP;
END $$;

CREATE FUNCTION pg_catalog.citus_job_status(job_id bigint, raw boolean DEFAULT false)
RETURNS TABLE (job_id bigint, state pg_catalog.citus_job_status, job_type name, description text, started_at timestamptz, finished_at timestamptz, details jsonb)
LANGUAGE sql STRICT AS $fn$
    SELECT citus_standin.settle_jobs();
    SELECT j.job_id, j.state, j.job_type, j.description, j.started_at, j.finished_at,
        jsonb_build_object(
            'task_state_counts', (SELECT jsonb_object_agg(c.status, c.count) FROM
                (SELECT t.status, count(t.task_id) AS count FROM pg_catalog.pg_dist_background_task t WHERE t.job_id = $1 GROUP BY t.status) c),
            'tasks', COALESCE((SELECT jsonb_agg(
                CASE WHEN t.status = 'running' THEN jsonb_build_object('state', t.status, 'retried', coalesce(t.retry_count, 0), 'phase', 'Copying Data',
                        'hosts', jsonb_build_object('source', m.source, 'target', m.target), 'message', t.message, 'command', t.command, 'task_id', t.task_id)
                     ELSE jsonb_build_object('state', t.status, 'retried', coalesce(t.retry_count, 0), 'message', t.message, 'command', t.command, 'task_id', t.task_id) END
                ORDER BY t.task_id)
                FROM pg_catalog.pg_dist_background_task t JOIN citus_standin.task_moves m USING (task_id)
                WHERE t.job_id = $1 AND (t.status IN ('running', 'error') OR (t.status = 'runnable' AND t.retry_count > 0))), '[]'::jsonb))
    FROM pg_catalog.pg_dist_background_job j WHERE j.job_id = $1;
$fn$;

CREATE FUNCTION pg_catalog.citus_rebalance_status(raw boolean DEFAULT false)
RETURNS TABLE (job_id bigint, state pg_catalog.citus_job_status, job_type name, description text, started_at timestamptz, finished_at timestamptz, details jsonb)
LANGUAGE sql STRICT AS $fn$
    SELECT s.* FROM (SELECT j.job_id FROM pg_catalog.pg_dist_background_job j WHERE j.job_type = 'rebalance' ORDER BY j.job_id DESC LIMIT 1) latest,
        pg_catalog.citus_job_status(latest.job_id, $1) s;
$fn$;

CREATE FUNCTION pg_catalog.citus_job_cancel(jobid bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM citus_standin.log('citus_job_cancel', jobid::text);
    PERFORM citus_standin.settle_jobs();
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_background_job WHERE job_id = jobid) THEN
        RAISE EXCEPTION 'unable to find background job with job_id: %', jobid;
    END IF;
    UPDATE pg_catalog.pg_dist_background_task SET status = 'cancelled' WHERE job_id = jobid AND status NOT IN ('done', 'error', 'cancelled');
    UPDATE pg_catalog.pg_dist_background_job SET state = 'cancelled', finished_at = pg_catalog.clock_timestamp()
        WHERE job_id = jobid AND state NOT IN ('finished', 'cancelled', 'failed');
END $$;

RESET allow_system_table_mods;

-- citus_drain_node: Citus moves every shard off the node and marks it shouldhaveshards = false. The
-- stand-in has no shards: it records the call (with the transfer mode) and marks the node, and fails
-- as Citus does for a node it does not know.
CREATE FUNCTION pg_catalog.citus_drain_node(nodename text, nodeport integer,
    shard_transfer_mode citus.shard_transfer_mode DEFAULT 'auto'::citus.shard_transfer_mode, rebalance_strategy name DEFAULT NULL::name)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM citus_standin.log('citus_drain_node', format('%s, %s, %s', nodename, nodeport, shard_transfer_mode));
    UPDATE pg_catalog.pg_dist_node n SET shouldhaveshards = false WHERE n.nodename = citus_drain_node.nodename AND n.nodeport = citus_drain_node.nodeport;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'node at "%:%" does not exist', nodename, nodeport;
    END IF;
END $$;
