//! The group query at scale, on PostgreSQL (`MULTI_ACCOUNT_TEST_POSTGRES_URL`;
//! skipped without it): a session's group of six (primary + 5 links) loaded with
//! `LinkService::group` from two throwaway schemas side by side, one whose
//! linked_accounts table holds 10,000 rows and one with 1,000,000 rows (100,000
//! other sessions over 1,000 primaries, so the group's primary also owns ~1,000
//! rows of other sessions). Measured by criterion, then interleaved for the
//! paired ratio. Prints the latency ratio
//! (target: ≤ 1.5×) and the `EXPLAIN (ANALYZE, BUFFERS)` of the exact statement
//! SeaORM sends (captured through the metric callback), and checks that the links
//! are read through the unique index.
//!
//! `cargo bench -p multi-account-actix --bench scale` (a few minutes: the bulk
//! insert of a million rows with `generate_series` takes most of it). Under
//! `cargo test --benches` it only says it was skipped.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/it/support/mod.rs"]
mod support;

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::rt::System;
use multi_account::LinkService;
use multi_account::test_database::TestBackend;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, JsonValue, Statement};
use support::User;

use common::{Case, Interleaved};

/// Users in the table (primaries and linked accounts of the bulk sessions).
const USERS: i64 = 1_000;
/// The measured session.
const PRIMARY: i64 = 1;
const TOKEN: &str = "bench-session-token";
const GROUP: usize = 6;

/// Adds bulk links until the table holds `total` rows. Bulk row `g` belongs to
/// session `g / 10` (token `session-<s>`, primary `s % USERS + 1`) and links
/// `(s + g % 10 + 1) % USERS + 1`: ten distinct accounts per session, never the
/// primary itself, so the unique key holds.
async fn grow_to(db: &DatabaseConnection, total: i64) {
    let have = count(db).await;
    if have >= total {
        return;
    }
    let start = Instant::now();
    // The measured group's own links are not bulk rows: the series continues
    // from the bulk rows already there.
    let group_links = GROUP as i64 - 1;
    let (first, last) = (have - group_links, total - group_links - 1);
    db.execute_unprepared(&format!(
        "INSERT INTO linked_accounts (primary_user_id, session_token, group_id, linked_user_id, status, inserted_at, updated_at) \
         SELECT (g / 10) % {USERS} + 1, 'session-' || (g / 10), 'session-' || (g / 10), ((g / 10) + g % 10 + 1) % {USERS} + 1, 'active', now(), now() \
         FROM generate_series({first}, {last}) AS g"
    ))
    .await
    .unwrap();
    db.execute_unprepared("VACUUM (ANALYZE) linked_accounts").await.unwrap();
    db.execute_unprepared("VACUUM (ANALYZE) users").await.unwrap();
    println!("linked_accounts: {have} -> {} rows in {:.1?}", count(db).await, start.elapsed());
}

async fn count(db: &DatabaseConnection) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), "SELECT count(*) AS n FROM linked_accounts"));
    row.await.unwrap().unwrap().try_get::<i64>("", "n").unwrap()
}

/// The group statement exactly as SeaORM sends it, values inlined.
async fn group_statement(db: &DatabaseConnection) -> String {
    let captured = Arc::new(Mutex::new(None::<String>));
    let sink = captured.clone();
    let mut capture = db.clone();
    capture.set_metric_callback(move |info| {
        *sink.lock().unwrap() = Some(info.statement.to_string());
    });
    LinkService::<User>::group(&capture, &PRIMARY, TOKEN).await.unwrap().unwrap();
    captured.lock().unwrap().take().expect("the group query went through the metric callback")
}

/// Prints `EXPLAIN (ANALYZE, BUFFERS)` of the group statement and whether the
/// linked_accounts branch used the unique index. Returns that.
async fn explain(db: &DatabaseConnection, label: &str) -> bool {
    let sql = group_statement(db).await;
    let index: Vec<JsonValue> = JsonValue::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'linked_accounts' \
         AND indexdef LIKE 'CREATE UNIQUE INDEX%' AND indexdef LIKE '%primary_user_id%session_token%linked_user_id%'",
    ))
    .all(db)
    .await
    .unwrap();
    let index = index.first().and_then(|row| row["indexname"].as_str()).unwrap_or("?").to_owned();
    let plan: Vec<JsonValue> = JsonValue::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"),
    ))
    .all(db)
    .await
    .unwrap();
    let lines: Vec<&str> = plan.iter().filter_map(|row| row["QUERY PLAN"].as_str()).collect();
    println!("\n### EXPLAIN (ANALYZE, BUFFERS) at {label}\n\nstatement:\n\n```sql\n{sql}\n```\n\n```");
    for line in &lines {
        println!("{line}");
    }
    println!("```");
    let on_index = lines.iter().any(|line| line.contains("Index") && line.contains(&format!("using \"{index}\"")))
        || lines.iter().any(|line| line.contains("Index") && line.contains(&format!("using {index}")));
    let seq_scan = lines.iter().any(|line| line.contains("Seq Scan on linked_accounts"));
    println!(
        "linked_accounts read through the unique index {index}: {}{}",
        if on_index { "yes" } else { "NO" },
        if seq_scan { " (and a sequential scan of linked_accounts!)" } else { "" }
    );
    on_index && !seq_scan
}

/// A throwaway schema with USERS users, the measured group and `total` links.
async fn schema_with(total: i64) -> support::TestDb {
    let test = support::database_on(TestBackend::Postgres, 11).await.expect("PostgreSQL is configured");
    let db = &test.db;
    // Copies of user 1 with their own id, name and email (whatever other columns
    // the test user has).
    db.execute_unprepared(&format!(
        "INSERT INTO users SELECT (jsonb_populate_record(NULL::users, to_jsonb(u) || jsonb_build_object(\
         'id', g, 'name', 'user' || g, 'email', 'user' || g || '@example.com'))).* \
         FROM users AS u, generate_series(12, {USERS}) AS g WHERE u.id = 1"
    ))
    .await
    .unwrap();
    for linked in 2..=GROUP as i64 {
        LinkService::<User>::link(db, &PRIMARY, &linked, TOKEN).await.unwrap();
    }
    grow_to(db, total).await;
    test
}

fn main() {
    let mut criterion = common::criterion();
    if !common::is_bench_run() {
        println!("scale: run with `cargo bench --bench scale` (skipped under cargo test)");
        return;
    }
    if !TestBackend::Postgres.is_available() {
        println!("scale: PostgreSQL only; set MULTI_ACCOUNT_TEST_POSTGRES_URL");
        return;
    }
    let system = System::new();
    // Two schemas side by side, so the two sizes can be measured interleaved.
    let sizes = [("group_10k_links", 10_000_i64), ("group_1m_links", 1_000_000)];
    let tests: Vec<support::TestDb> = sizes.iter().map(|(_, total)| system.block_on(schema_with(*total))).collect();

    let mut index_ok = true;
    let mut cases = Vec::new();
    for ((case, total), test) in sizes.iter().zip(&tests) {
        let db = &test.db;
        let loaded = system.block_on(LinkService::<User>::group(db, &PRIMARY, TOKEN)).unwrap().unwrap();
        assert_eq!(loaded.len(), GROUP, "the measured group");
        let before = test.queries.get();
        system.block_on(LinkService::<User>::group(db, &PRIMARY, TOKEN)).unwrap();
        let queries = test.queries.get() - before;
        index_ok &= system.block_on(explain(db, &format!("{total} rows")));
        let system = &system;
        cases.push(Case::new(*case, queries, move |iters| {
            system.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(LinkService::<User>::group(db, &PRIMARY, TOKEN).await.unwrap());
                }
                start.elapsed()
            })
        }));
    }
    common::criterion_group(&mut criterion, "scale_postgres", &mut cases);
    let run = Interleaved::measure(&mut cases, 40, Duration::from_millis(25));
    criterion.final_summary();

    println!("\n## scale on postgres: the group query (group of {GROUP}) by linked_accounts size\n");
    common::print_table("scale_postgres", &common::summaries(&cases), &run, "group_10k_links");
    println!();
    common::target_check("scale_postgres", &run, "group_1m_links", "<=", 1.5, "group_10k_links");
    println!("unique index used at both sizes: {}", if index_ok { "yes — MET" } else { "NO — NOT MET" });
    drop(cases);
    drop(tests);
}
