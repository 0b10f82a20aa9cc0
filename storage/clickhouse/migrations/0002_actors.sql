-- "One actor over time": a narrow copy of calls ordered by actor, filled by
-- a materialized view on every insert into calls.
CREATE TABLE IF NOT EXISTS {{table "calls_by_actor"}}{{onCluster}} (
    actor String,
    ts {{ts}}{{codec "Delta, ZSTD(1)"}},
    id String,
    user String,
    client_ip String,
    user_agent {{lc}},
    host {{lc}},
    method {{lc}},
    template {{lc}},
    path String{{codec "ZSTD(1)"}},
    status UInt16,
    duration_us UInt64,
    resp_bytes UInt64
) ENGINE = {{engine "calls_by_actor" "ReplacingMergeTree()"}}
PARTITION BY toDate(ts)
ORDER BY (actor, ts, id){{ttl "ts"}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{name "calls_by_actor_mv"}}{{onCluster}} TO {{table "calls_by_actor"}} AS
SELECT actor, ts, id, user, client_ip, user_agent, host, method, template, path, status, duration_us, resp_bytes
FROM {{table "calls"}};

{{distributed "calls_by_actor" "cityHash64(actor)"}};

-- actors: one profile snapshot per actor and day, aggregated from calls.
-- Counts are uniq() estimates over call ids, so re-delivered calls do not
-- inflate them; read it through the actor_profiles view.
CREATE TABLE IF NOT EXISTS {{table "actors"}}{{onCluster}} (
    actor String,
    day Date,
    user String,
    actor_kind {{lc}},
    first_seen AggregateFunction(min, {{ts}}),
    last_seen AggregateFunction(max, {{ts}}),
    calls AggregateFunction(uniq, String),
    errors AggregateFunction(uniqIf, String, UInt8),
    endpoints AggregateFunction(uniq, String, String, String),
    client_ips AggregateFunction({{uniqArray ""}}, String),
    user_agents AggregateFunction({{uniqArray ""}}, String),
    hosts AggregateFunction({{uniqArray ""}}, String)
) ENGINE = {{engine "actors" "AggregatingMergeTree()"}}
PARTITION BY toYYYYMM(day)
ORDER BY (actor, day, user, actor_kind){{ttl "day"}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{name "actors_mv"}}{{onCluster}} TO {{table "actors"}} AS
SELECT
    actor,
    toDate(ts) AS day,
    user,
    actor_kind,
    minState(ts) AS first_seen,
    maxState(ts) AS last_seen,
    uniqState(id) AS calls,
    uniqIfState(id, toUInt8(status >= 400 OR status = 0)) AS errors,
    uniqState(host, method, template) AS endpoints,
    {{uniqArray "State"}}(client_ip) AS client_ips,
    {{uniqArray "State"}}(toString(user_agent)) AS user_agents,
    {{uniqArray "State"}}(toString(host)) AS hosts
FROM {{table "calls"}}
GROUP BY actor, day, user, actor_kind;

{{distributed "actors" "cityHash64(actor)"}};
