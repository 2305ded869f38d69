//! The SQLite migration runner: the files of `migrations/sqlite/`, embedded,
//! applied once each.

use anyhow::Context as _;
use rusqlite::Connection;

/// The migrations, in order. `tests::every_migration_file_is_listed` keeps
/// this list in step with `migrations/sqlite/`.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../../../migrations/sqlite/0001_initial.sql")),
    (2, "hits", include_str!("../../../migrations/sqlite/0002_hits.sql")),
    (3, "bonuses", include_str!("../../../migrations/sqlite/0003_bonuses.sql")),
    (4, "qualifications_clustered", include_str!("../../../migrations/sqlite/0004_qualifications_clustered.sql")),
    (5, "id_epoch", include_str!("../../../migrations/sqlite/0005_id_epoch.sql")),
    (6, "snapshots", include_str!("../../../migrations/sqlite/0006_snapshots.sql")),
    (7, "fixture_names", include_str!("../../../migrations/sqlite/0007_fixture_names.sql")),
    (10, "review_policies", include_str!("../../../migrations/sqlite/0010_review_policies.sql")),
    (11, "file_answers", include_str!("../../../migrations/sqlite/0011_file_answers.sql")),
    (12, "review_history", include_str!("../../../migrations/sqlite/0012_review_history.sql")),
    (13, "notifications", include_str!("../../../migrations/sqlite/0013_notifications.sql")),
    (14, "console_batches", include_str!("../../../migrations/sqlite/0014_console_batches.sql")),
    (16, "listing_keys", include_str!("../../../migrations/sqlite/0016_listing_keys.sql")),
    (17, "hit_groups", include_str!("../../../migrations/sqlite/0017_hit_groups.sql")),
    (18, "console_pages", include_str!("../../../migrations/sqlite/0018_console_pages.sql")),
];

/// Applies the migrations this database has not seen, each in its own
/// `BEGIN IMMEDIATE` transaction, so two processes starting on one new file
/// migrate it once. A database made by earlier versions (which migrated
/// through sqlx) keeps its history: the versions recorded in
/// `_sqlx_migrations` count as applied.
pub(super) fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
         version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )?;
    let legacy: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        [],
        |r| r.get(0),
    )?;
    if legacy {
        conn.execute(
            "INSERT OR IGNORE INTO schema_migrations (version, description, applied_at) \
             SELECT version, description, 0 FROM _sqlx_migrations WHERE success",
            [],
        )?;
    }
    for (version, description, sql) in MIGRATIONS {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let applied: bool =
            tx.query_row("SELECT COUNT(*) > 0 FROM schema_migrations WHERE version = ?1", [version], |r| r.get(0))?;
        if !applied {
            tx.execute_batch(sql).with_context(|| format!("migration {version} ({description})"))?;
            tx.execute(
                "INSERT INTO schema_migrations (version, description, applied_at) \
                 VALUES (?1, ?2, CAST(strftime('%s', 'now') AS INTEGER) * 1000)",
                rusqlite::params![version, description],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files.len(), MIGRATIONS.len(), "{files:?}");
        for (file, (version, description, _)) in files.iter().zip(MIGRATIONS) {
            assert_eq!(file, &format!("{version:04}_{description}.sql"));
        }
    }

    #[test]
    fn review_history_dates_old_results_and_keeps_old_reviews_claimed() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
             applied_at BIGINT NOT NULL)",
        )
        .unwrap();
        for (version, description, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v < 12) {
            conn.execute_batch(sql).unwrap_or_else(|e| panic!("migration {version}: {e}"));
            conn.execute("INSERT INTO schema_migrations VALUES (?1, ?2, 0)", (version, description)).unwrap();
        }
        // A HIT reviewed (at 3 slots) before version 12, with two assignments in and one
        // in progress, and a HIT never reviewed.
        conn.execute_batch(
            "INSERT INTO hit_types (id, owner, title, description, reward_cents, assignment_duration_secs, \
             auto_approval_delay_secs, requirements, fingerprint, creation_time) \
             VALUES ('T', 'R', 't', 'd', 1, 60, 60, '[]', 'f', 0); \
             INSERT INTO hits (id, hit_type_id, owner, question, max_assignments, expiration, creation_time, \
             reviewing, disposed) VALUES ('H1', 'T', 'R', 'q', 3, 10, 0, 0, 0), ('H2', 'T', 'R', 'q', 3, 10, 0, 0, 0); \
             INSERT INTO review_policies VALUES ('H1', NULL, '{}', 3), ('H2', NULL, '{}', NULL); \
             INSERT INTO assignments (id, hit_id, worker_id, status, accept_time, deadline, submit_time) VALUES \
             ('A1', 'H1', 'W1', 'Approved', 1, 100, 5), ('A2', 'H1', 'W2', 'Submitted', 1, 100, 7), \
             ('A3', 'H1', 'W3', 'Accepted', 1, 100, NULL); \
             INSERT INTO review_results VALUES ('H1', 1, 'Assignment', NULL, 'A2', 'Assignment', 'q', \
             'KnownAnswerCorrect', '1'), ('H1', 2, 'HIT', NULL, 'H1', 'HIT', NULL, 'HitAgreementScore', '0');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let dated: Vec<Option<i64>> = conn
            .prepare("SELECT recorded_at FROM review_results ORDER BY position")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(dated, vec![Some(7), None]);
        let claims: Vec<(Option<i64>, Option<i64>)> = conn
            .prepare("SELECT hit_reviewed_max, hit_reviewed_submitted FROM review_policies ORDER BY hit_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(claims, vec![(Some(3), Some(2)), (None, None)]);
    }

    #[tokio::test]
    async fn migrating_twice_changes_nothing_and_adopts_sqlx_history() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        // A database an earlier version migrated through sqlx, up to version 1.
        conn.execute_batch(MIGRATIONS[0].2).unwrap();
        conn.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT, description TEXT, success BOOLEAN); \
             INSERT INTO _sqlx_migrations VALUES (1, 'initial', 1);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let versions: Vec<i64> = conn
            .prepare("SELECT version FROM schema_migrations ORDER BY version")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(versions, vec![1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 16, 17, 18]);
    }
}
