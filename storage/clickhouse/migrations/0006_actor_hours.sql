-- actor_hours: what the analyzer counted per actor and hour of capture
-- time (analyzer/actorstats), written in batches instead of aggregated by
-- the server from every call (the actor views of 0002, optional now).
-- One row per (actor, hour, writer): writer is the counting analyzer
-- process's generation, whose later snapshot (higher version) replaces its
-- earlier one; rows of several writers add up. Read it through
-- actor_timeline and actor_profiles, which do that (FINAL, then sums).
-- endpoint_ids are stable hashes of the distinct (host, method, template)
-- so hours, days and writers can be united; cut counts values that did not
-- fit the analyzer's bounded sets.
CREATE TABLE IF NOT EXISTS {{table "actor_hours"}}{{onCluster}} (
    actor String,
    hour DateTime('UTC'),
    writer String,
    user String,
    actor_kind {{lc}},
    first_seen {{ts}},
    last_seen {{ts}},
    calls UInt64,
    errors UInt64,
    endpoints UInt64,
    endpoint_ids Array(UInt64),
    resp_bytes UInt64,
    client_ips Array(String),
    user_agents Array(String),
    hosts Array(String),
    cut UInt64,
    version UInt64
) ENGINE = {{engine "actor_hours" "ReplacingMergeTree(version)"}}
PARTITION BY toYYYYMM(hour)
ORDER BY (actor, hour, writer){{ttl "hour"}};

{{distributed "actor_hours" "cityHash64(actor)"}};

-- The actor views now read actor_hours. Rows written before this version
-- stay in calls_by_actor and actors (still readable there).
DROP TABLE IF EXISTS {{name "actor_timeline"}}{{onCluster}};
CREATE VIEW {{name "actor_timeline"}}{{onCluster}} AS
SELECT
    actor,
    hour,
    sum(calls) AS calls,
    greatest(max(endpoints), length(groupUniqArrayArray(endpoint_ids))) AS endpoints,
    sum(errors) AS errors,
    groupUniqArrayArray(client_ips) AS client_ips,
    groupUniqArrayArray(user_agents) AS user_agents,
    sum(resp_bytes) AS resp_bytes,
    any(user) AS user,
    any(actor_kind) AS actor_kind,
    min(first_seen) AS first_seen,
    max(last_seen) AS last_seen,
    groupUniqArrayArray(hosts) AS hosts,
    count() AS writers
FROM {{name "actor_hours"}} FINAL
GROUP BY actor, hour;

DROP TABLE IF EXISTS {{name "actor_profiles"}}{{onCluster}};
CREATE VIEW {{name "actor_profiles"}}{{onCluster}} AS
SELECT
    actor,
    toDate(hour) AS day,
    any(user) AS user,
    any(actor_kind) AS actor_kind,
    min(first_seen) AS first_seen,
    max(last_seen) AS last_seen,
    sum(calls) AS calls,
    sum(errors) AS errors,
    greatest(max(endpoints), length(groupUniqArrayArray(endpoint_ids))) AS endpoints,
    groupUniqArrayArray(client_ips) AS client_ips,
    groupUniqArrayArray(user_agents) AS user_agents,
    groupUniqArrayArray(hosts) AS hosts,
    sum(resp_bytes) AS resp_bytes,
    uniqExact(writer) AS writers
FROM {{name "actor_hours"}} FINAL
GROUP BY actor, day;
