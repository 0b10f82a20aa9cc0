-- Views for the SOC (docs/queries.md). "Recent" windows are anchored to the
-- newest data rather than now(), so they answer for offline captures too.
DROP TABLE IF EXISTS {{name "recent_findings"}}{{onCluster}};
CREATE VIEW {{name "recent_findings"}}{{onCluster}} AS
SELECT
    last_seen, severity, type, owasp, user, client_ips, host, endpoint, count, summary, first_seen, id
FROM {{name "findings"}} FINAL
WHERE last_seen >= (SELECT max(last_seen) FROM {{name "findings"}}) - INTERVAL 24 HOUR
ORDER BY multiIf(severity = 'critical', 0, severity = 'high', 1, severity = 'medium', 2, 3), last_seen DESC;

DROP TABLE IF EXISTS {{name "actor_timeline"}}{{onCluster}};
CREATE VIEW {{name "actor_timeline"}}{{onCluster}} AS
SELECT
    actor,
    toStartOfHour(ts) AS hour,
    uniqExact(id) AS calls,
    uniqExact(host, method, template) AS endpoints,
    uniqExactIf(id, status >= 400 OR status = 0) AS errors,
    groupUniqArray(client_ip) AS client_ips,
    groupUniqArray(toString(user_agent)) AS user_agents,
    sum(resp_bytes) AS resp_bytes
FROM {{name "calls_by_actor"}}
GROUP BY actor, hour;

DROP TABLE IF EXISTS {{name "actor_profiles"}}{{onCluster}};
CREATE VIEW {{name "actor_profiles"}}{{onCluster}} AS
SELECT
    actor, day, user, actor_kind,
    minMerge(first_seen) AS first_seen,
    maxMerge(last_seen) AS last_seen,
    uniqMerge(calls) AS calls,
    uniqIfMerge(errors) AS errors,
    uniqMerge(endpoints) AS endpoints,
    {{uniqArray "Merge"}}(client_ips) AS client_ips,
    {{uniqArray "Merge"}}(user_agents) AS user_agents,
    {{uniqArray "Merge"}}(hosts) AS hosts
FROM {{name "actors"}}
GROUP BY actor, day, user, actor_kind;

DROP TABLE IF EXISTS {{name "shadow_endpoints_with_pii"}}{{onCluster}};
CREATE VIEW {{name "shadow_endpoints_with_pii"}}{{onCluster}} AS
SELECT host, method, path, classification, sensitive, calls, actors, auth, first_seen, last_seen
FROM {{name "endpoints"}} FINAL
WHERE classification IN ('shadow', 'zombie') AND notEmpty(sensitive)
ORDER BY calls DESC;

DROP TABLE IF EXISTS {{name "top_abused_endpoints"}}{{onCluster}};
CREATE VIEW {{name "top_abused_endpoints"}}{{onCluster}} AS
SELECT
    host,
    endpoint,
    count() AS findings,
    uniqExact(user) AS actors,
    sum(count) AS events,
    groupUniqArray(toString(type)) AS types,
    arrayElement(['critical', 'high', 'medium', 'low'],
        toUInt8(min(multiIf(severity = 'critical', 1, severity = 'high', 2, severity = 'medium', 3, 4)))) AS worst_severity,
    max(last_seen) AS last_seen
FROM {{name "findings"}} FINAL
WHERE endpoint != ''
GROUP BY host, endpoint
ORDER BY findings DESC, events DESC;
