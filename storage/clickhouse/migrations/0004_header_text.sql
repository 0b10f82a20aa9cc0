-- Request and response headers as one text column each, one "Name: value"
-- line per field in wire order, instead of four parallel arrays: the
-- writer builds one string per call instead of an array element per
-- header, and the server stores two columns instead of four arrays.
-- Rows written before this version keep their headers in the
-- *_header_names/*_header_values arrays, which are no longer written.
ALTER TABLE {{table "calls"}}{{onCluster}}
    {{addColumn}} req_headers String{{codec "ZSTD(3)"}} AFTER resp_header_values;
ALTER TABLE {{table "calls"}}{{onCluster}}
    {{addColumn}} resp_headers String{{codec "ZSTD(3)"}} AFTER req_headers;
{{if .Cluster}}
ALTER TABLE {{name "calls"}}{{onCluster}} {{addColumn}} req_headers String AFTER resp_header_values;
ALTER TABLE {{name "calls"}}{{onCluster}} {{addColumn}} resp_headers String AFTER req_headers;
{{end}}
