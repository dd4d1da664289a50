//! A tower-sessions store over SeaORM (the app's own database): the SQL store
//! the suite runs on. tower-sessions' own SQL store is built on another sqlx
//! than SeaORM's, so the suite brings this small one.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// `sql` with `?` placeholders as `backend` writes them.
fn statement(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => {
            let mut numbered = String::new();
            for (index, part) in sql.split('?').enumerate() {
                if index > 0 {
                    numbered.push_str(&format!("${index}"));
                }
                numbered.push_str(part);
            }
            numbered
        }
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Clone, Debug)]
pub struct SeaOrmStore {
    db: DatabaseConnection,
}

fn store_error(error: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

impl SeaOrmStore {
    pub async fn new(db: DatabaseConnection) -> Self {
        db.execute_unprepared(
            "CREATE TABLE IF NOT EXISTS tower_sessions (id VARCHAR(64) PRIMARY KEY, record TEXT NOT NULL)",
        )
        .await
        .expect("the sessions table");
        Self { db }
    }
}

#[async_trait::async_trait]
impl SessionStore for SeaOrmStore {
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let text = serde_json::to_string(record).map_err(|error| session_store::Error::Encode(error.to_string()))?;
        let backend = self.db.get_database_backend();
        let upsert = match backend {
            DbBackend::MySql => {
                "INSERT INTO tower_sessions (id, record) VALUES (?, ?) ON DUPLICATE KEY UPDATE record = VALUES(record)"
            }
            _ => {
                "INSERT INTO tower_sessions (id, record) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record"
            }
        };
        let statement = statement(backend, upsert, vec![record.id.to_string().into(), text.into()]);
        self.db.execute_raw(statement).await.map_err(store_error)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let backend = self.db.get_database_backend();
        let statement =
            statement(backend, "SELECT record FROM tower_sessions WHERE id = ?", vec![id.to_string().into()]);
        let Some(row) = self.db.query_one_raw(statement).await.map_err(store_error)? else { return Ok(None) };
        let text: String = row.try_get("", "record").map_err(store_error)?;
        let record: Record =
            serde_json::from_str(&text).map_err(|error| session_store::Error::Decode(error.to_string()))?;
        Ok((record.expiry_date > time::OffsetDateTime::now_utc()).then_some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let statement = statement(
            self.db.get_database_backend(),
            "DELETE FROM tower_sessions WHERE id = ?",
            vec![id.to_string().into()],
        );
        self.db.execute_raw(statement).await.map_err(store_error)?;
        Ok(())
    }
}
