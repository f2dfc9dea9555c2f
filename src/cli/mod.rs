//! The operator's commands beside `serve`: `kassa keys create|list|revoke` and `kassa backup`.
//! Each opens the database as `serve` does (migrating it), does its one thing, prints what it
//! made to stdout (JSON, so scripts can read it; logs go to stderr) and closes the database.

use crate::config::{KeysCommand, Settings};
use crate::domain::Mode;
use crate::server::{RunError, open_store};
use crate::service::api_keys;
use crate::store::{ApiKeyRecord, Engine, Store, engine_of};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

fn key_json(key: &ApiKeyRecord) -> Value {
    json!({
        "id": key.id,
        "organization_id": key.organization_id,
        "livemode": key.livemode,
        "name": key.name,
        "prefix": key.display_prefix,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    })
}

async fn organization_exists(store: &Store, id: &str) -> Result<(), RunError> {
    match store.organization(id).await.map_err(RunError::Migrate)? {
        Some(_) => Ok(()),
        None => Err(RunError::Refused(format!(
            "--organization: no organization {id} in this database"
        ))),
    }
}

/// `kassa keys …`, its output written to `out`.
pub async fn keys(
    settings: Settings,
    command: KeysCommand,
    out: &mut impl Write,
) -> Result<(), RunError> {
    let store = open_store(&settings).await?;
    let done = keys_on(&store, command, out).await;
    store.close().await;
    done
}

async fn keys_on(
    store: &Store,
    command: KeysCommand,
    out: &mut impl Write,
) -> Result<(), RunError> {
    let print = |out: &mut dyn Write, value: Value| {
        writeln!(out, "{value}").map_err(|e| RunError::Refused(format!("stdout: {e}")))
    };
    match command {
        KeysCommand::Create {
            organization,
            mode,
            name,
        } => {
            organization_exists(store, &organization).await?;
            let mode = if mode == "live" {
                Mode::Live
            } else {
                Mode::Test
            };
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(RunError::Refused(
                    "--name: give 1 to 100 characters".to_owned(),
                ));
            }
            let (record, secret) = api_keys::create(store, &organization, mode, name)
                .await
                .map_err(RunError::Migrate)?;
            let mut made = key_json(&record);
            made["secret"] = json!(secret.expose());
            print(out, made)
        }
        KeysCommand::List { organization } => {
            organization_exists(store, &organization).await?;
            for key in store
                .api_keys(&organization)
                .await
                .map_err(RunError::Migrate)?
            {
                print(out, key_json(&key))?;
            }
            Ok(())
        }
        KeysCommand::Revoke { organization, key } => {
            organization_exists(store, &organization).await?;
            let known = store
                .api_keys(&organization)
                .await
                .map_err(RunError::Migrate)?
                .into_iter()
                .find(|k| k.id == key);
            match known {
                None => Err(RunError::Refused(format!(
                    "no key {key} in organization {organization}"
                ))),
                Some(k) if k.revoked_at.is_some() => Err(RunError::Refused(format!(
                    "the key {key} was already revoked"
                ))),
                Some(_) => {
                    api_keys::revoke(store, &organization, &key)
                        .await
                        .map_err(|e| RunError::Refused(e.to_string()))?;
                    let revoked = store
                        .api_keys(&organization)
                        .await
                        .map_err(RunError::Migrate)?
                        .into_iter()
                        .find(|k| k.id == key);
                    print(out, revoked.as_ref().map(key_json).unwrap_or(Value::Null))
                }
            }
        }
    }
}

/// `kassa backup FILE`: SQLite's `VACUUM INTO`, a consistent copy taken beside a running kassa.
pub async fn backup(settings: Settings, file: &Path, out: &mut impl Write) -> Result<(), RunError> {
    if file.exists() {
        return Err(RunError::Refused(format!(
            "{} exists; kassa backup writes a new file and overwrites nothing",
            file.display()
        )));
    }
    if engine_of(&settings.database_url).ok() == Some(Engine::Postgres) {
        return Err(pg_dump());
    }
    let Some(path) = file.to_str() else {
        return Err(RunError::Refused(
            "the backup's path must be UTF-8".to_owned(),
        ));
    };
    let store = open_store(&settings).await?;
    let done = store.backup_to(path).await;
    store.close().await;
    match done.map_err(RunError::Migrate)? {
        Some(()) => {
            let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
            writeln!(
                out,
                "{}",
                json!({ "backup": path, "bytes": bytes, "engine": "sqlite" })
            )
            .map_err(|e| RunError::Refused(format!("stdout: {e}")))
        }
        None => Err(pg_dump()),
    }
}

fn pg_dump() -> RunError {
    RunError::Refused(
        "the database is PostgreSQL: back it up with its own tool, \
         pg_dump --format=custom --file=FILE \"$KASSA_DATABASE_URL\" (and pg_restore to bring it \
         back)"
            .to_owned(),
    )
}

mod client;
pub use client::{listen, trigger};
