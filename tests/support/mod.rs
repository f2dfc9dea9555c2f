//! Shared by the integration test binaries: fresh databases on either engine.
#![allow(dead_code)]

use kassa::store::{Engine, PoolSettings, Store};
use std::io::Write;
use tempfile::TempDir;

/// The variable that points the Postgres half of the suites at a server.
pub const POSTGRES_VAR: &str = "KASSA_TEST_POSTGRES_URL";

/// A database made for one test, removed when it is dropped (SQLite) or by [`TestDb::drop_db`].
pub struct TestDb {
    pub url: String,
    pub engine: Engine,
    _dir: Option<TempDir>,
    postgres_admin: Option<(String, String)>,
}

impl TestDb {
    /// A fresh, empty database on `engine`, or `None` (with a notice on stderr) when the engine
    /// is Postgres and no server is configured.
    pub async fn fresh(engine: Engine, test: &str) -> Option<TestDb> {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary folder");
                let url = format!("sqlite://{}", dir.path().join("kassa.db").display());
                Some(TestDb {
                    url,
                    engine,
                    _dir: Some(dir),
                    postgres_admin: None,
                })
            }
            Engine::Postgres => {
                let Ok(admin_url) = std::env::var(POSTGRES_VAR) else {
                    skip_notice(test);
                    return None;
                };
                let name = format!(
                    "kassa_test_{}_{}",
                    std::process::id(),
                    kassa::service::ids::random_alphanumeric(10)
                        .collect::<String>()
                        .to_lowercase()
                );
                let admin = admin_connection(&admin_url).await;
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("{POSTGRES_VAR}: cannot create a database: {e}"));
                admin.close().await;
                let mut url = url::Url::parse(&admin_url).expect("a postgres:// URL");
                url.set_path(&format!("/{name}"));
                Some(TestDb {
                    url: url.to_string(),
                    engine,
                    _dir: None,
                    postgres_admin: Some((admin_url, name)),
                })
            }
        }
    }

    /// Connects and migrates.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url, &PoolSettings::default())
            .await
            .expect("connects");
        store.migrate().await.expect("migrates");
        store
    }

    /// For a Postgres test database: the URL of the server's admin database and this database's
    /// name, for a test that acts on the server itself (its sessions, say).
    pub fn postgres_admin(&self) -> Option<(&str, &str)> {
        self.postgres_admin
            .as_ref()
            .map(|(admin_url, name)| (admin_url.as_str(), name.as_str()))
    }

    /// Drops a Postgres test database (SQLite's folder goes with the value).
    pub async fn drop_db(self) {
        if let Some((admin_url, name)) = &self.postgres_admin {
            let admin = admin_connection(admin_url).await;
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&admin)
                .await;
            admin.close().await;
        }
    }
}

async fn admin_connection(url: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_VAR}={url}: cannot connect: {e}"))
}

/// Says on the terminal, past the test harness's capture, that a Postgres test did not run.
fn skip_notice(test: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED on PostgreSQL: {test} ({POSTGRES_VAR} is not set; \
         set it to postgres://USER@HOST/DB to run the Postgres half)"
    );
}

/// The longest one test run on both engines (`on_both_engines!`: the storage contract and the
/// HTTP suites) may take. A test that hangs (a transaction left open while its
/// pool closes, a lock never released) fails by name here instead of holding CI until its limit.
pub const TEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// Runs `test`, failing it if it takes longer than [`TEST_LIMIT`].
pub async fn within_limit(test: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(TEST_LIMIT, test).await.is_err() {
        panic!("the test did not finish within {TEST_LIMIT:?}");
    }
}

/// Generates one `#[tokio::test]` per engine for each listed async fn taking an `Engine`.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::support::within_limit(super::$name(kassa::store::Engine::Sqlite)).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::support::within_limit(super::$name(kassa::store::Engine::Postgres)).await;
                }
            )*
        }
    };
}
