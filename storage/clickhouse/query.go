package clickhouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apitap/apitap/analyzer/report"
)

// severityRank orders severities; a FindingsQuery.Severity is a minimum.
var severityRank = map[string]int{report.SeverityLow: 1, report.SeverityMedium: 2, report.SeverityHigh: 3, report.SeverityCritical: 4}

// FindingsQuery selects findings for QueryFindings.
type FindingsQuery struct {
	// Since keeps findings last seen within this long before Now; 0 keeps all.
	Since time.Duration
	// Now is the reference time of Since; zero means the wall clock.
	Now time.Time
	// Severity keeps findings at least this severe (low, medium, high, critical).
	Severity string
	// Type keeps findings of this type (e.g. bola_enumeration).
	Type string
	// Limit caps the rows returned, most recent first. Default 1000.
	Limit int
}

// Validate checks the query.
func (q FindingsQuery) Validate() error {
	var errs []error
	if q.Severity != "" && severityRank[q.Severity] == 0 {
		errs = append(errs, fmt.Errorf("severity %q: want low, medium, high or critical", q.Severity))
	}
	if q.Since < 0 {
		errs = append(errs, errors.New("since: must not be negative"))
	}
	if q.Limit < 0 {
		errs = append(errs, errors.New("limit: must not be negative"))
	}
	return errors.Join(errs...)
}

// QueryFindings returns the findings that match q, deduplicated by id
// (FINAL), most severe and most recent first.
func QueryFindings(ctx context.Context, db *DB, q FindingsQuery) ([]report.Finding, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	if q.Since > 0 {
		now := q.Now
		if now.IsZero() {
			now = time.Now()
		}
		where = append(where, "last_seen >= ?")
		args = append(args, now.Add(-q.Since).UTC().Truncate(time.Second))
	}
	if q.Severity != "" {
		var sev []string
		for s, r := range severityRank {
			if r >= severityRank[q.Severity] {
				sev = append(sev, "'"+s+"'")
			}
		}
		where = append(where, "severity IN ("+strings.Join(sev, ", ")+")")
	}
	if q.Type != "" {
		where = append(where, "type = ?")
		args = append(args, q.Type)
	}
	limit := q.Limit
	if limit == 0 {
		limit = 1000
	}
	sql := "SELECT id, type, owasp, severity, user, client_ips, users, endpoint, host, first_seen, last_seen, count, summary, evidence, call_ids FROM " +
		db.opts.Database + ".findings FINAL"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += fmt.Sprintf(" ORDER BY multiIf(severity = 'critical', 0, severity = 'high', 1, severity = 'medium', 2, 3), last_seen DESC, id LIMIT %d", limit)
	rows, err := db.conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("query findings: %w", describe(db.opts, err))
	}
	defer func() { _ = rows.Close() }()
	var out []report.Finding
	for rows.Next() {
		var f report.Finding
		var count uint64
		var evidence, typ, owasp, sev, host string
		if err := rows.Scan(&f.ID, &typ, &owasp, &sev, &f.User, &f.ClientIPs, &f.Users, &f.Endpoint, &host,
			&f.FirstSeen, &f.LastSeen, &count, &f.Summary, &evidence, &f.CallIDs); err != nil {
			return nil, fmt.Errorf("query findings: %w", err)
		}
		f.Kind, f.Type, f.OWASP, f.Severity, f.Host = "finding", typ, owasp, sev, host
		f.Count = int64(count)
		f.FirstSeen, f.LastSeen = f.FirstSeen.UTC(), f.LastSeen.UTC()
		if evidence != "" && evidence != "{}" {
			if err := json.Unmarshal([]byte(evidence), &f.Evidence); err != nil {
				f.Evidence = map[string]any{"raw": evidence}
			}
		}
		if len(f.CallIDs) == 0 {
			f.CallIDs = nil
		}
		if len(f.Users) == 0 {
			f.Users = nil
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
