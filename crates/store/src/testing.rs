//! Throwaway databases for tests: each test gets its own, so runs never collide and never
//! assume the server is empty. Used by the HTTP harness and the CLI tests.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;
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

/// Prints `skipped: <reason>` once per test process and reason, straight to the process's stderr
/// (the test harness captures `eprintln!` of passing tests, which would hide the line).
pub fn skip(reason: &str) {
    use std::io::Write;
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let first = SEEN.lock().map_or(true, |mut seen| {
        let new = !seen.iter().any(|r| r == reason);
        if new {
            seen.push(reason.to_string());
        }
        new
    });
    if first {
        let _ = writeln!(std::io::stderr(), "skipped: {reason}");
    }
}

/// A migrated store of the backend under test ([`backend_is_postgres`]): a SQLite file in `dir`,
/// or a new PostgreSQL database, dropped when the returned guard is; `None` (after a skip line)
/// when no PostgreSQL server answers.
pub async fn migrated_store(
    dir: &std::path::Path,
) -> Option<(Arc<dyn clientele_core::Store>, Option<TestDatabase>)> {
    let mut pg = None;
    let url = if backend_is_postgres() {
        let server = postgres_url();
        match TestDatabase::create(&server) {
            Ok(db) => pg.insert(db).url().to_string(),
            Err(e) => {
                skip(&format!("no PostgreSQL at {server} ({e})"));
                return None;
            }
        }
    } else {
        format!("sqlite://{}", dir.join("d.db").display())
    };
    let store = crate::open(&url).expect("open");
    clientele_core::Store::migrate(store.as_ref())
        .await
        .expect("migrate");
    Some((store, pg))
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

/// The `host:port` a URL points at (default port 5432).
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    }
}

/// `url` pointed at another `host:port`, keeping user, database and parameters.
pub fn with_host_port(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
    format!("{scheme}://{}{addr}{tail}", user.unwrap_or_default())
}

/// A TCP proxy in front of the database that a test can cut, to see how the service behaves
/// when the store goes away and comes back.
pub struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    /// Listens on 127.0.0.1 (a free port) and forwards every connection to `target`.
    pub async fn start(target: String) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let up = Arc::new(AtomicBool::new(true));
        let live: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (up2, live2) = (up.clone(), live.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                if let Ok(mut l) = live2.lock() {
                    l.retain(|h| !h.is_finished());
                    l.push(task.abort_handle());
                }
            }
        })
        .abort_handle();
        Ok(Self {
            addr,
            up,
            live,
            accept,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes every open connection (as a database restart or a network cut would).
    pub fn drop_connections(&self) {
        if let Ok(mut l) = self.live.lock() {
            for h in l.drain(..) {
                h.abort();
            }
        }
    }

    /// `false`: the database is down (open connections cut, new ones closed at once).
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            self.drop_connections();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.drop_connections();
    }
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

/// The words in a tenant's search vocabulary, sorted, read straight from the store at `url`
/// (SQLite: `search_terms` under the tenant's namespaces, without them; PostgreSQL: the
/// distinct lexemes of the tenant's `client_search` rows but the tags). For tests that check words
/// leave it.
pub async fn search_vocabulary(url: &str, tenant: Uuid) -> Result<Vec<String>, String> {
    let mut words: Vec<String> = if let Some(path) = url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        let code: Option<i64> = conn
            .query_row(
                "SELECT code FROM search_namespaces WHERE tenant_id = ?1",
                [tenant.to_string()],
                |r| r.get(0),
            )
            .ok();
        let Some(code) = code else {
            return Ok(Vec::new());
        };
        let ns = crate::sqlite::search::namespace_of(code);
        let mut st = conn
            .prepare("SELECT term FROM search_terms WHERE term >= ?1 AND term < ?2")
            .map_err(|e| e.to_string())?;
        let terms = st
            .query_map([format!("{ns}l"), format!("{ns}s")], |r| {
                r.get::<_, String>(0)
            })
            .map_err(|e| e.to_string())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        terms
            .into_iter()
            .filter(|t| t.starts_with(&format!("{ns}l")) || t.starts_with(&format!("{ns}r")))
            .map(|t| t[ns.len() + 1..].to_string())
            .collect()
    } else {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        let task = tokio::spawn(connection);
        let rows = client
            .query(
                // Not the tags (`=...`, migration postgres/0015): no word starts with `=`.
                "SELECT DISTINCT w FROM client_search, unnest(tsvector_to_array(words)) AS w \
                 WHERE tenant_id = $1 AND w NOT LIKE '=%'",
                &[&tenant.to_string()],
            )
            .await
            .map_err(|e| e.to_string());
        drop(client);
        let _ = task.await;
        rows?.iter().map(|r| r.get::<_, String>(0)).collect()
    };
    words.sort();
    words.dedup();
    Ok(words)
}

/// The counters of a SQLite file that differ from a count of its `clients` rows: for
/// `client_counts`, `client_facets` and `client_ranges` (both fields), every counter row (but
/// those at 0, which updates and deletes leave) that a recount by the same keys and buckets (the
/// migrations' own `INSERT ... SELECT`, sqlite/0002, 0023, 0025) does not give, and every
/// recounted row that no counter holds. Empty when the counters are exact. `url`:
/// `sqlite://path`.
pub fn sqlite_counter_drift(url: &str) -> Result<Vec<String>, String> {
    let path = url
        .strip_prefix("sqlite://")
        .ok_or_else(|| format!("not a SQLite file: {url}"))?;
    let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
    const LIMIT_BUCKET: &str = "CASE WHEN credit_limit_e4 < -5000000000000000000 THEN -1
             WHEN credit_limit_e4 < -4999999999999999990 THEN 100 + (credit_limit_e4 + 5000000000000000000)
             WHEN credit_limit_e4 < 0 THEN length(credit_limit_e4 + 5000000000000000000) * 100
                 + CAST(substr(credit_limit_e4 + 5000000000000000000, 1, 2) AS INTEGER)
             ELSE 1950 + credit_limit_e4 / 100000000000000000
        END";
    let pairs = [
        (
            "client_counts",
            "SELECT tenant_id, archived, n FROM client_counts WHERE n <> 0".to_string(),
            "SELECT tenant_id, archived, count(*) FROM clients GROUP BY 1, 2".to_string(),
        ),
        (
            "client_facets",
            "SELECT * FROM client_facets WHERE n <> 0".to_string(),
            "SELECT tenant_id, archived, status, coalesce(address_country, ''), kind,
                    coalesce(credit_currency, ''), coalesce(partner_type, ''),
                    coalesce(credit_creditworthiness, ''), count(*)
             FROM clients GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
                .to_string(),
        ),
        (
            "client_ranges (updated_at)",
            "SELECT * FROM client_ranges WHERE field = 'updated_at' AND n <> 0".to_string(),
            "SELECT tenant_id, archived, 'updated_at',
                    CAST(substr(updated_at, 1, 4) AS INTEGER) * 100
                        + CAST(substr(updated_at, 6, 2) AS INTEGER),
                    status, coalesce(address_country, ''), kind, count(*)
             FROM clients GROUP BY 1, 2, 3, 4, 5, 6, 7"
                .to_string(),
        ),
        (
            "client_ranges (credit_limit_e4)",
            "SELECT * FROM client_ranges WHERE field = 'credit_limit_e4' AND n <> 0".to_string(),
            format!(
                "SELECT tenant_id, archived, 'credit_limit_e4', {LIMIT_BUCKET},
                        status, coalesce(address_country, ''), kind, count(*)
                 FROM clients WHERE credit_limit_e4 IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7"
            ),
        ),
    ];
    let mut drift = Vec::new();
    for (table, counters, recount) in pairs {
        for (side, sql) in [
            (
                "counted, not in the rows",
                format!("{counters} EXCEPT {recount}"),
            ),
            (
                "in the rows, not counted",
                format!("{recount} EXCEPT {counters}"),
            ),
        ] {
            let mut st = conn.prepare(&sql).map_err(|e| e.to_string())?;
            let n = st.column_count();
            let rows = st
                .query_map([], |r| {
                    (0..n)
                        .map(|i| r.get::<_, rusqlite::types::Value>(i))
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(|e| e.to_string())?;
            for row in rows {
                let row = row.map_err(|e| e.to_string())?;
                drift.push(format!("{table}: {side}: {row:?}"));
            }
        }
    }
    Ok(drift)
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

    #[test]
    fn host_and_port_are_found_and_replaced() {
        assert_eq!(
            host_port("postgres://u@127.0.0.1:5433/db"),
            "127.0.0.1:5433"
        );
        assert_eq!(host_port("postgres://localhost/db?x=1"), "localhost:5432");
        let addr: SocketAddr = "127.0.0.1:9".parse().expect("addr");
        assert_eq!(
            with_host_port("postgres://u@127.0.0.1:5432/db?x=1", addr),
            "postgres://u@127.0.0.1:9/db?x=1"
        );
    }
}
