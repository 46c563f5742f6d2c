//! Throwaway databases for tests: each test gets its own, so runs never collide and never
//! assume the server is empty. Used by the HTTP harness and the CLI tests.

use std::time::Duration;

use uuid::Uuid;

/// The backend the test suite runs against: `CLIENTELE_TEST_BACKEND` = `sqlite` (default) or
/// `postgres`.
pub fn backend_is_postgres() -> bool {
    std::env::var("CLIENTELE_TEST_BACKEND").is_ok_and(|b| b.eq_ignore_ascii_case("postgres"))
}

/// The server the PostgreSQL half uses: `CLIENTELE_TEST_POSTGRES_URL`, by default the local one.
pub fn postgres_url() -> String {
    std::env::var("CLIENTELE_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A uniquely named database, dropped (with its connections) when this guard is dropped.
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

/// `url` with its database name replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let authority_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{db}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Runs one statement on the admin URL on a short-lived connection of its own thread and
/// runtime, so it works from sync code, async code and `Drop` alike.
fn admin(admin_url: &str, statement: String) -> Result<(), String> {
    let admin_url = admin_url.to_string();
    std::thread::spawn(move || -> Result<(), String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            let mut config: tokio_postgres::Config =
                admin_url.parse().map_err(|e| format!("{e}"))?;
            config.connect_timeout(Duration::from_secs(2));
            let (client, conn) = config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            let driver = tokio::spawn(conn);
            let r = client
                .batch_execute(&statement)
                .await
                .map_err(|e| e.to_string());
            drop(client);
            let _ = driver.await;
            r
        })
    })
    .join()
    .map_err(|_| "admin thread panicked".to_string())?
}

impl TestDatabase {
    /// Creates a fresh database on the server at `server_url`; `Err` when it cannot be reached.
    pub fn create(server_url: &str) -> Result<Self, String> {
        let name = format!("clientele_test_{}", Uuid::now_v7().simple());
        admin(server_url, format!("CREATE DATABASE \"{name}\""))?;
        Ok(Self {
            admin_url: server_url.to_string(),
            url: with_database(server_url, &name),
            name,
        })
    }

    /// The URL of the new database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let stmt = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        if let Err(e) = admin(&self.admin_url, stmt) {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced_keeping_parameters() {
        assert_eq!(
            with_database("postgres://u@h:5432/test?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
