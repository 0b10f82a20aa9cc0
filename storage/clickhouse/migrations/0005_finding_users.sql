-- The authenticated callers behind a finding about an endpoint rather than
-- one actor (report.Finding.Users): for such findings user is empty, and
-- client_ips alone would name addresses, not accounts.
ALTER TABLE {{table "findings"}}{{onCluster}}
    {{addColumn}} users Array(String) AFTER client_ips;
{{if .Cluster}}
ALTER TABLE {{name "findings"}}{{onCluster}} {{addColumn}} users Array(String) AFTER client_ips;
{{end}}
