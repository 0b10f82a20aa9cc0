-- actors from per-batch snapshots instead of every call: actors_mv (0002)
-- grouped each insert into calls by actor on the server, which cost about
-- 3 µs of server CPU per call. The Writer now sends, with each calls
-- batch, one row per (actor, day, user, kind) of that batch into
-- actors_in (Null engine: it stores nothing); actors_in_mv turns those
-- rows into the same aggregate states in actors, so rows from before and
-- after this version merge. The batch's call ids go along, so counts stay
-- uniq() over ids and a batch inserted twice does not inflate them.
DROP TABLE IF EXISTS {{name "actors_mv"}}{{onCluster}};

CREATE TABLE IF NOT EXISTS {{table "actors_in"}}{{onCluster}} (
    actor String,
    day Date,
    user String,
    actor_kind String,
    first_seen {{ts}},
    last_seen {{ts}},
    ids Array(String),
    errors Array(UInt8),
    ep_hosts Array(String),
    ep_methods Array(String),
    ep_templates Array(String),
    client_ips Array(String),
    user_agents Array(String),
    hosts Array(String)
) ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{name "actors_in_mv"}}{{onCluster}} TO {{table "actors"}} AS
SELECT
    actor,
    day,
    user,
    actor_kind,
    arrayReduce('minState', [first_seen]) AS first_seen,
    arrayReduce('maxState', [last_seen]) AS last_seen,
    arrayReduce('uniqState', ids) AS calls,
    arrayReduce('uniqIfState', ids, errors) AS errors,
    arrayReduce('uniqState', ep_hosts, ep_methods, ep_templates) AS endpoints,
    arrayReduce('{{uniqArray "State"}}', client_ips) AS client_ips,
    arrayReduce('{{uniqArray "State"}}', user_agents) AS user_agents,
    arrayReduce('{{uniqArray "State"}}', hosts) AS hosts
FROM {{table "actors_in"}};

{{distributed "actors_in" "cityHash64(actor)"}};
