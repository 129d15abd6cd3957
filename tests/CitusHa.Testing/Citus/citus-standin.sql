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

RESET allow_system_table_mods;
