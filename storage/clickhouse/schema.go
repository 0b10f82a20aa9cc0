package clickhouse

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"text/template"
	"time"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one versioned schema step: a file migrations/NNNN_name.sql
// whose statements are each idempotent (IF NOT EXISTS; views are dropped and created),
// so a step interrupted half-way is simply applied again.
type Migration struct {
	Version  int
	Name     string
	Checksum string // sha256 of the file, recorded when applied
	text     string
}

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", name)
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		if len(out) > 0 && out[len(out)-1].Version >= v {
			return nil, fmt.Errorf("migration file %s: version %d not after %d", name, v, out[len(out)-1].Version)
		}
		out = append(out, Migration{Version: v, Name: rest, Checksum: hex.EncodeToString(sum[:]), text: string(b)})
	}
	return out, nil
}

// SchemaConfig says how the schema is rendered for one deployment.
type SchemaConfig struct {
	// Database holds the tables.
	Database string
	// Cluster, when set, renders ON CLUSTER DDL, Replicated* engines on
	// <table>_local tables and Distributed tables under the plain names.
	Cluster string
	// Features of the server (FeaturesOf its version).
	Features Features
	// Retention is the TTL of calls and actor data on servers with TTL
	// support; 0 keeps them forever. Old servers ignore it (no TTL).
	Retention time.Duration
}

// Statements renders a migration into the statements to run, in order.
func (m Migration) Statements(sc SchemaConfig) ([]string, error) {
	tmpl, err := template.New(m.Name).Funcs(sc.funcs()).Parse(m.text)
	if err != nil {
		return nil, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, sc); err != nil {
		return nil, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
	}
	return splitStatements(b.String()), nil
}

func (sc SchemaConfig) funcs() template.FuncMap {
	modern := sc.Features.Modern
	q := func(s string) string { return sc.Database + "." + s }
	local := func(s string) string {
		if sc.Cluster != "" {
			return s + "_local"
		}
		return s
	}
	return template.FuncMap{
		// table is the storage table (local in cluster mode).
		"table": func(s string) string { return q(local(s)) },
		// name is the name queries use (distributed in cluster mode).
		"name": q,
		"onCluster": func() string {
			if sc.Cluster == "" {
				return ""
			}
			return " ON CLUSTER " + sc.Cluster
		},
		"engine": func(table, engine string) string {
			if sc.Cluster == "" {
				return engine
			}
			name, args, _ := strings.Cut(strings.TrimSuffix(engine, ")"), "(")
			zk := fmt.Sprintf("'/clickhouse/tables/{shard}/%s/%s', '{replica}'", sc.Database, local(table))
			if args != "" {
				zk += ", " + args
			}
			return "Replicated" + name + "(" + zk + ")"
		},
		"distributed": func(table, key string) string {
			if sc.Cluster == "" {
				return ""
			}
			return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s ON CLUSTER %s AS %s ENGINE = Distributed(%s, %s, %s, %s)",
				q(table), sc.Cluster, q(local(table)), sc.Cluster, sc.Database, local(table), key)
		},
		"lc": func() string {
			if modern {
				return "LowCardinality(String)"
			}
			return "String"
		},
		"ts": func() string {
			if modern {
				return "DateTime64(9, 'UTC')"
			}
			return "DateTime('UTC')"
		},
		"codec": func(c string) string {
			if modern {
				return " CODEC(" + c + ")"
			}
			return ""
		},
		"ttl": func(col string) string {
			if !modern || sc.Retention <= 0 {
				return ""
			}
			days := max(int64(sc.Retention/(24*time.Hour)), 1)
			return fmt.Sprintf("\nTTL toDate(%s) + INTERVAL %d DAY", col, days)
		},
		// uniqArray is groupUniqArray<suffix>, bounded to 100 values where
		// the server takes the parameter.
		"uniqArray": func(suffix string) string {
			if modern {
				return "groupUniqArray" + suffix + "(100)"
			}
			return "groupUniqArray" + suffix
		},
		"addColumn": func() string {
			if modern {
				return "ADD COLUMN IF NOT EXISTS"
			}
			return "ADD COLUMN" // an existing column fails with code 44, which Migrate accepts
		},
	}
}

// splitStatements splits SQL at semicolons that end a line, dropping
// comment-only and empty statements.
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		s := strings.TrimSpace(cur.String())
		cur.Reset()
		var body []string
		for _, line := range strings.Split(s, "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
				body = append(body, line)
			}
		}
		if len(body) > 0 {
			out = append(out, strings.Join(body, "\n"))
		}
	}
	for _, line := range strings.Split(sql, "\n") {
		t := strings.TrimRight(line, " \t\r")
		if strings.HasSuffix(t, ";") && !strings.HasPrefix(strings.TrimSpace(t), "--") {
			cur.WriteString(strings.TrimSuffix(t, ";"))
			flush()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	return out
}
