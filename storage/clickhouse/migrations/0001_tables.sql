-- Calls, the API inventory and findings.
--
-- calls: one row per API call. ReplacingMergeTree on the sorting key, whose
-- last element is the call id, so a batch delivered twice (at-least-once
-- Kafka, an insert retried after a timeout) collapses to one row after
-- merges; count with FINAL or uniqExact(id) for exact figures. Ordered for
-- "one endpoint over time"; calls_by_actor (0002) serves "one actor over time".
CREATE TABLE IF NOT EXISTS {{table "calls"}}{{onCluster}} (
    id String,
    ts {{ts}}{{codec "Delta, ZSTD(1)"}},
    duration_us UInt64{{codec "T64, ZSTD(1)"}},
    ttfb_us UInt64{{codec "T64, ZSTD(1)"}},
    host {{lc}},
    method {{lc}},
    path String{{codec "ZSTD(1)"}},
    template {{lc}},
    query String{{codec "ZSTD(1)"}},
    proto {{lc}},
    status UInt16,
    req_bytes UInt64{{codec "T64, ZSTD(1)"}},
    resp_bytes UInt64{{codec "T64, ZSTD(1)"}},
    req_content_type {{lc}},
    resp_content_type {{lc}},
    actor String,
    actor_kind {{lc}},
    user String,
    client_ip String,
    client_port UInt16,
    server_ip {{lc}},
    server_port UInt16,
    user_agent {{lc}},
    jwt_issuer {{lc}},
    jwt_alg {{lc}},
    roles Array({{lc}}),
    scopes Array({{lc}}),
    sensitive Array({{lc}}),
    req_header_names Array({{lc}}),
    req_header_values Array(String){{codec "ZSTD(3)"}},
    resp_header_names Array({{lc}}),
    resp_header_values Array(String){{codec "ZSTD(3)"}},
    req_body String{{codec "ZSTD(3)"}},
    resp_body String{{codec "ZSTD(3)"}},
    flags UInt32,
    source_kind {{lc}},
    source_node {{lc}}
) ENGINE = {{engine "calls" "ReplacingMergeTree()"}}
PARTITION BY toDate(ts)
ORDER BY (host, method, template, ts, id){{ttl "ts"}};

{{distributed "calls" "cityHash64(id)"}};

-- endpoints: the latest inventory state per (host, method, path template);
-- version is the snapshot's last_seen in Unix nanoseconds.
CREATE TABLE IF NOT EXISTS {{table "endpoints"}}{{onCluster}} (
    host {{lc}},
    method {{lc}},
    path String,
    classification {{lc}},
    deprecated UInt8,
    calls UInt64,
    actors UInt64,
    status_codes Array(String),
    status_counts Array(UInt64),
    first_seen {{ts}},
    last_seen {{ts}},
    sensitive Array({{lc}}),
    auth Array({{lc}}),
    extra String,
    version UInt64
) ENGINE = {{engine "endpoints" "ReplacingMergeTree(version)"}}
ORDER BY (host, method, path);

{{distributed "endpoints" "cityHash64(host, method, path)"}};

-- findings: ReplacingMergeTree on the finding id, so a re-delivered or
-- updated finding (higher count, later last_seen) replaces the earlier row.
CREATE TABLE IF NOT EXISTS {{table "findings"}}{{onCluster}} (
    id String,
    type {{lc}},
    owasp {{lc}},
    severity {{lc}},
    user String,
    client_ips Array(String),
    endpoint String,
    host {{lc}},
    first_seen {{ts}},
    last_seen {{ts}},
    count UInt64,
    summary String,
    evidence String,
    call_ids Array(String),
    version UInt64
) ENGINE = {{engine "findings" "ReplacingMergeTree(version)"}}
ORDER BY id;

{{distributed "findings" "cityHash64(id)"}};
