//! A tower-sessions store over SeaORM (the app's own database): the SQL store
//! the suite runs on. tower-sessions' own SQL store is built on another sqlx
//! than SeaORM's, so the suite brings this small one.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Clone, Debug)]
pub struct SeaOrmStore {
    db: DatabaseConnection,
}

fn backend(error: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

impl SeaOrmStore {
    pub async fn new(db: DatabaseConnection) -> Self {
        db.execute_unprepared("CREATE TABLE IF NOT EXISTS tower_sessions (id TEXT PRIMARY KEY, record TEXT NOT NULL)")
            .await
            .expect("the sessions table");
        Self { db }
    }
}

#[async_trait::async_trait]
impl SessionStore for SeaOrmStore {
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let text = serde_json::to_string(record).map_err(|error| session_store::Error::Encode(error.to_string()))?;
        let statement = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO tower_sessions (id, record) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record",
            [record.id.to_string().into(), text.into()],
        );
        self.db.execute_raw(statement).await.map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let statement = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT record FROM tower_sessions WHERE id = ?",
            [id.to_string().into()],
        );
        let Some(row) = self.db.query_one_raw(statement).await.map_err(backend)? else { return Ok(None) };
        let text: String = row.try_get("", "record").map_err(backend)?;
        let record: Record =
            serde_json::from_str(&text).map_err(|error| session_store::Error::Decode(error.to_string()))?;
        Ok((record.expiry_date > time::OffsetDateTime::now_utc()).then_some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let statement = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "DELETE FROM tower_sessions WHERE id = ?",
            [id.to_string().into()],
        );
        self.db.execute_raw(statement).await.map_err(backend)?;
        Ok(())
    }
}
