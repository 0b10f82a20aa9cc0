package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

const codeTableExists = 57

// MigrateConfig controls Migrate.
type MigrateConfig struct {
	// Retention is the TTL of call and actor data on servers that support
	// TTL (≥ 20.3); 0 keeps data forever. Default 30 days. It is applied
	// when the tables are created.
	Retention time.Duration
	// To stops after this version; 0 applies every migration.
	To int
	// ActorViews keeps the materialized views of schema version 2 that
	// copy every call inserted into calls into calls_by_actor ("one actor
	// over time") and aggregate it into actors (daily profiles). They cost
	// the server about as much as the calls insert itself, and since
	// version 6 the analyzer writes what actor_timeline and actor_profiles
	// read (actor_hours), so they are off by default: checked on every
	// Migrate, false drops the two views (the tables and their rows stay),
	// true creates them again (rows inserted meanwhile are not backfilled).
	// Default false.
	ActorViews bool
}

// DefaultMigrateConfig returns the defaults.
func DefaultMigrateConfig() MigrateConfig {
	return MigrateConfig{Retention: 30 * 24 * time.Hour}
}

// Validate checks the config.
func (c MigrateConfig) Validate() error {
	var errs []error
	if c.Retention < 0 {
		errs = append(errs, errors.New("retention: must not be negative"))
	}
	if c.To < 0 {
		errs = append(errs, errors.New("to: must not be negative"))
	}
	return errors.Join(errs...)
}

// MigrateResult says what Migrate did.
type MigrateResult struct {
	Server  Version
	From    int         // schema version before
	To      int         // schema version after
	Applied []Migration // migrations applied by this call, in order
	Latest  int         // newest migration this build knows
}

// Migrate creates the database if needed and applies, in order, every
// migration newer than the recorded schema version (up to cfg.To),
// recording each in <db>.schema_migrations. Running it again is a no-op;
// concurrent runs are safe because every statement is idempotent.
func Migrate(ctx context.Context, o *Options, cfg MigrateConfig, log *slog.Logger) (MigrateResult, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var res MigrateResult
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	all, err := Migrations()
	if err != nil {
		return res, err
	}
	res.Latest = all[len(all)-1].Version
	db, err := openServer(ctx, o)
	if err != nil {
		return res, err
	}
	defer func() { _ = db.Close() }()
	res.Server = db.Version()
	sc := SchemaConfig{Database: o.Database, Cluster: o.Cluster, Features: db.Features(), Retention: cfg.Retention}
	onCluster := ""
	if o.Cluster != "" {
		onCluster = " ON CLUSTER " + o.Cluster
	}
	engine := "ReplacingMergeTree()"
	if o.Cluster != "" {
		engine = fmt.Sprintf("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/%s/schema_migrations', '{replica}')", o.Database)
	}
	bootstrap := []string{
		"CREATE DATABASE IF NOT EXISTS " + o.Database + onCluster,
		"CREATE TABLE IF NOT EXISTS " + o.Database + ".schema_migrations" + onCluster +
			" (version UInt32, name String, checksum String, applied_at DateTime('UTC'), apitap String) ENGINE = " +
			engine + " ORDER BY version",
	}
	for _, q := range bootstrap {
		if err := db.conn.Exec(ctx, q); err != nil {
			return res, fmt.Errorf("%w (while running: %s)", describe(o, err), firstLine(q))
		}
	}
	applied, err := appliedMigrations(ctx, db)
	if err != nil {
		return res, err
	}
	for v := range applied {
		res.From = max(res.From, v)
	}
	res.To = res.From
	if res.From > res.Latest {
		log.Warn("the schema is newer than this build knows", "schema_version", res.From, "latest_known", res.Latest)
		return res, nil
	}
	for _, m := range all {
		if sum, ok := applied[m.Version]; ok {
			if sum != m.Checksum {
				log.Warn("migration changed after it was applied; not applied again", "version", m.Version, "name", m.Name)
			}
			continue
		}
		if cfg.To > 0 && m.Version > cfg.To {
			break
		}
		stmts, err := m.Statements(sc)
		if err != nil {
			return res, err
		}
		for _, q := range stmts {
			if err := db.conn.Exec(ctx, q); err != nil && !alreadyDone(err) {
				return res, fmt.Errorf("migration %04d_%s: %w (while running: %s)", m.Version, m.Name, describe(o, err), firstLine(q))
			}
		}
		if err := recordMigration(ctx, db, m); err != nil {
			return res, fmt.Errorf("record migration %04d_%s: %w", m.Version, m.Name, describe(o, err))
		}
		log.Info("applied migration", "version", m.Version, "name", m.Name, "statements", len(stmts))
		res.Applied = append(res.Applied, m)
		res.To = m.Version
	}
	if res.To >= actorViewsVersion {
		if err := setActorViews(ctx, db, all, sc, cfg.ActorViews); err != nil {
			return res, err
		}
	}
	return res, nil
}

// actorViewsVersion is the migration that creates the actor views.
const actorViewsVersion = 2

// setActorViews creates the materialized views of migration 0002 (their
// statements are idempotent) or drops them.
func setActorViews(ctx context.Context, db *DB, all []Migration, sc SchemaConfig, on bool) error {
	i := slices.IndexFunc(all, func(m Migration) bool { return m.Version == actorViewsVersion })
	stmts, err := all[i].Statements(sc)
	if err != nil {
		return err
	}
	onCluster := ""
	if sc.Cluster != "" {
		onCluster = " ON CLUSTER " + sc.Cluster
	}
	for _, q := range stmts {
		rest, ok := strings.CutPrefix(q, "CREATE MATERIALIZED VIEW IF NOT EXISTS ")
		if !ok {
			continue
		}
		if !on {
			name, _, _ := strings.Cut(rest, " ")
			q = "DROP TABLE IF EXISTS " + name + onCluster
		}
		if err := db.conn.Exec(ctx, q); err != nil && !alreadyDone(err) {
			return fmt.Errorf("actor views: %w (while running: %s)", describe(db.opts, err), firstLine(q))
		}
	}
	return nil
}

// recordMigration inserts m into schema_migrations. A batch, because old
// servers wait for a data block after INSERT ... VALUES sent as a query.
func recordMigration(ctx context.Context, db *DB, m Migration) error {
	b, err := db.conn.PrepareBatch(ctx, "INSERT INTO "+db.opts.Database+".schema_migrations (version, name, checksum, applied_at, apitap)")
	if err != nil {
		return err
	}
	if err := b.Append(uint32(m.Version), m.Name, m.Checksum, time.Now().UTC(), version()); err != nil {
		_ = b.Abort() // the append error is the one to report
		return err
	}
	return b.Send()
}

// version names this build in schema_migrations.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return "apitap " + bi.Main.Version
	}
	return "apitap"
}

// SchemaVersion returns the recorded schema version of the database (0
// when none was applied).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	applied, err := appliedMigrations(ctx, db)
	if err != nil {
		return 0, err
	}
	v := 0
	for k := range applied {
		v = max(v, k)
	}
	return v, nil
}

func appliedMigrations(ctx context.Context, db *DB) (map[int]string, error) {
	rows, err := db.conn.Query(ctx, "SELECT version, any(checksum) FROM "+db.opts.Database+".schema_migrations GROUP BY version")
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", describe(db.opts, err))
	}
	defer func() { _ = rows.Close() }()
	out := map[int]string{}
	for rows.Next() {
		var v uint32
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return nil, fmt.Errorf("read schema version: %w", err)
		}
		out[int(v)] = sum
	}
	return out, rows.Err()
}

// alreadyDone reports errors that mean a statement's effect is already
// there: a column added before (servers without ADD COLUMN IF NOT EXISTS)
// or a view created by a concurrent migration.
func alreadyDone(err error) bool {
	var ex *ch.Exception
	return errors.As(err, &ex) && (ex.Code == codeDuplicateColumn || ex.Code == codeTableExists)
}
