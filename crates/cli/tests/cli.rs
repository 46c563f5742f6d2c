//! End-to-end tests of the `clientele` binary: every test runs the real executable against its
//! own SQLite file in a temporary directory (with `CLIENTELE_TEST_BACKEND=postgres`, its own new
//! PostgreSQL database, dropped afterwards) and, where a server is needed, talks to it on
//! 127.0.0.1 only.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Longest any wait in these tests may take.
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

/// Environment variables the binary reads; cleared so the caller's shell cannot leak into a test.
const CLIENTELE_ENV: &[&str] = &[
    "CLIENTELE_BIND",
    "CLIENTELE_DATABASE_URL",
    "DATABASE_URL",
    "CLIENTELE_LOG_FORMAT",
    "RUST_LOG",
];

/// A scratch directory holding one SQLite database, or a new PostgreSQL database.
struct Scratch {
    dir: TempDir,
    postgres: Option<clientele_store::testing::TestDatabase>,
}

impl Scratch {
    fn new() -> Self {
        use clientele_store::testing;
        let postgres = testing::backend_is_postgres()
            .then(|| {
                let server = testing::postgres_url();
                testing::TestDatabase::create(&server)
                    .inspect_err(|e| {
                        testing::skip(&format!(
                            "no PostgreSQL at {server} ({e}); the CLI tests ran on SQLite"
                        ))
                    })
                    .ok()
            })
            .flatten();
        Self {
            dir: tempfile::tempdir().expect("create a temporary directory"),
            postgres,
        }
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// `sqlite:///abs/path/FILE`.
    fn url_of(&self, file: &str) -> String {
        let path = self.path(file);
        assert!(path.is_absolute());
        format!("sqlite://{}", path.display())
    }

    /// The test's database: the SQLite file `clientele.db`, or its PostgreSQL database.
    fn url(&self) -> String {
        match &self.postgres {
            Some(db) => db.url().to_string(),
            None => self.url_of("clientele.db"),
        }
    }

    /// The binary with a clean environment, run inside the scratch directory (so an
    /// accidental default database would land there, not in the workspace).
    fn bare(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_clientele"));
        for var in CLIENTELE_ENV {
            cmd.env_remove(var);
        }
        cmd.current_dir(self.dir.path()).stdin(Stdio::null());
        cmd
    }

    /// The binary pointed at this scratch database with `--database`.
    fn clientele(&self) -> Command {
        let mut cmd = self.bare();
        cmd.arg("--database").arg(self.url());
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        Run::of(self.clientele().args(args))
    }

    fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert!(
            run.success,
            "clientele {args:?} failed ({:?}):\n{}",
            run.code, run.stderr
        );
        run
    }

    fn create_tenant(&self, name: &str) {
        self.ok(&["tenants", "create", name]);
    }

    /// Creates a key and returns its plaintext (the last line of stdout).
    fn create_key(&self, tenant: &str, permissions: &str) -> String {
        let run = self.ok(&[
            "keys",
            "create",
            "--tenant",
            tenant,
            "--permissions",
            permissions,
        ]);
        run.last_line().to_string()
    }

    fn serve(&self) -> Server {
        Server::start(self.clientele().args(["serve", "--bind", "127.0.0.1:0"]))
    }
}

/// A finished run of the binary.
struct Run {
    success: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Runs to completion, but never for longer than [`WAIT`]. Both pipes are drained while the
    /// child runs, so a large output (such as the OpenAPI document) cannot stall it.
    fn of(cmd: &mut Command) -> Self {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start clientele");
        let stdout = drain(child.stdout.take().expect("piped stdout"));
        let stderr = drain(child.stderr.take().expect("piped stderr"));
        let mut guard = KillOnDrop(Some(child));
        let started = Instant::now();
        let status = loop {
            let child = guard.0.as_mut().expect("child present");
            if let Some(status) = child.try_wait().expect("poll child") {
                break status;
            }
            assert!(
                started.elapsed() < WAIT,
                "clientele did not exit within {WAIT:?}"
            );
            std::thread::sleep(POLL);
        };
        guard.0 = None;
        let text = |h: std::thread::JoinHandle<Vec<u8>>| {
            String::from_utf8(h.join().expect("pipe reader")).expect("output is UTF-8")
        };
        Run {
            success: status.success(),
            code: status.code(),
            stdout: text(stdout),
            stderr: text(stderr),
        }
    }

    fn last_line(&self) -> &str {
        self.stdout.lines().last().unwrap_or("")
    }

    /// Asserts a failure explained in exactly one line on stderr, and returns that line.
    fn one_line_failure(&self) -> &str {
        assert!(
            !self.success,
            "expected a failure, got success:\n{}",
            self.stdout
        );
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected exactly one line on stderr, got:\n{}",
            self.stderr
        );
        assert!(!lines[0].trim().is_empty(), "the stderr line is blank");
        lines[0]
    }
}

/// Reads a pipe to its end on another thread.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// Kills (and reaps) the child when dropped, so a failing assertion never leaks a process.
struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A running `clientele serve`.
struct Server {
    child: KillOnDrop,
    /// stdout lines printed before `listening on ...`.
    banner: Vec<String>,
    base: String,
}

impl Server {
    fn start(cmd: &mut Command) -> Self {
        let mut child = cmd
            .stdout(Stdio::piped())
            // Access logs go to stderr; nobody reads them, and a full pipe would stall the server.
            .stderr(Stdio::null())
            .spawn()
            .expect("start clientele serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let child = KillOnDrop(Some(child));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + WAIT;
        let mut banner = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(line) => line,
                Err(e) => panic!("no `listening on` line within {WAIT:?} ({e}); saw {banner:?}"),
            };
            if let Some(addr) = line.strip_prefix("listening on http://") {
                let port: u16 = addr
                    .strip_prefix("127.0.0.1:")
                    .unwrap_or_else(|| panic!("not a 127.0.0.1 address: {line}"))
                    .parse()
                    .unwrap_or_else(|_| panic!("no port in: {line}"));
                assert_ne!(port, 0);
                return Server {
                    child,
                    banner,
                    base: format!("http://127.0.0.1:{port}"),
                };
            }
            banner.push(line);
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn pid(&self) -> u32 {
        self.child.0.as_ref().expect("child present").id()
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(WAIT)
        .build()
        .expect("build HTTP client")
}

async fn status_with_key(server: &Server, key: &str) -> u16 {
    http()
        .get(server.url("/v1/clients"))
        .header("X-API-Key", key)
        .send()
        .await
        .expect("request the server")
        .status()
        .as_u16()
}

/// The key id shown by `keys list` on the row with this key's prefix.
fn key_id_in_list(list: &str, key: &str) -> String {
    let prefix = &key[..11];
    let row = list
        .lines()
        .find(|l| l.contains(prefix))
        .unwrap_or_else(|| panic!("no row with prefix {prefix} in:\n{list}"));
    row.split_whitespace()
        .next()
        .expect("an id column")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// serve

#[tokio::test]
async fn serve_on_an_empty_store_prints_a_working_admin_key_once() {
    let scratch = Scratch::new();
    let server = scratch.serve();
    assert_eq!(server.banner.len(), 2, "banner: {:?}", server.banner);
    assert!(
        server.banner[0].starts_with("created tenant \"default\" and an admin API key"),
        "first line: {}",
        server.banner[0]
    );
    let key = server.banner[1].clone();
    assert!(key.starts_with("ck_"), "key line: {key}");
    assert!(!key.contains(char::is_whitespace), "key line: {key:?}");

    assert_eq!(status_with_key(&server, &key).await, 200);
    assert_eq!(status_with_key(&server, "ck_not-a-key").await, 401);
    drop(server);

    let again = scratch.serve();
    assert!(
        again.banner.is_empty(),
        "a second serve printed: {:?}",
        again.banner
    );
    assert_eq!(
        status_with_key(&again, &key).await,
        200,
        "the bootstrap key survives a restart"
    );
}

#[tokio::test]
async fn serve_answers_health_and_docs_without_a_credential() {
    let scratch = Scratch::new();
    let server = scratch.serve();
    let client = http();
    for path in ["/healthz", "/readyz", "/openapi.json", "/docs/"] {
        let res = client.get(server.url(path)).send().await.expect("request");
        assert_eq!(res.status().as_u16(), 200, "{path}");
    }
    let res = client
        .get(server.url("/v1/clients"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn serve_stops_cleanly_on_sigterm() {
    let scratch = Scratch::new();
    let mut server = scratch.serve();
    let client = http();
    let res = client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 200);

    let killed = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let child = server.child.0.as_mut().expect("child present");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll child") {
            break status;
        }
        assert!(
            started.elapsed() < WAIT,
            "serve did not stop within {WAIT:?} of SIGTERM"
        );
        std::thread::sleep(POLL);
    };
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

#[test]
fn serve_with_a_bad_bind_flag_fails_with_one_line_and_does_not_start() {
    let scratch = Scratch::new();
    let run = scratch.run(&["serve", "--bind", "nonsense"]);
    let line = run.one_line_failure();
    assert!(line.contains("nonsense"), "stderr: {line}");
    assert!(!run.stdout.contains("listening"), "stdout: {}", run.stdout);
    assert!(
        !scratch.path("clientele.db").exists(),
        "the database was opened before the flags were checked"
    );
}

#[test]
fn serve_with_a_bad_clientele_bind_variable_fails_with_one_line_and_does_not_start() {
    let scratch = Scratch::new();
    let run = Run::of(
        scratch
            .clientele()
            .env("CLIENTELE_BIND", "nonsense")
            .arg("serve"),
    );
    let line = run.one_line_failure();
    assert!(line.contains("nonsense"), "stderr: {line}");
    assert!(!run.stdout.contains("listening"), "stdout: {}", run.stdout);
    assert!(
        !run.stdout.contains("ck_"),
        "no key is printed when the port is taken: {}",
        run.stdout
    );
}

#[test]
fn serve_on_a_port_already_taken_exits_non_zero() {
    let scratch = Scratch::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let addr = taken.local_addr().expect("local address").to_string();
    let run = scratch.run(&["serve", "--bind", &addr]);
    assert!(!run.success, "stdout: {}", run.stdout);
    assert!(
        run.stderr.contains("cannot listen on"),
        "stderr: {}",
        run.stderr
    );
    assert!(!run.stdout.contains("listening"), "stdout: {}", run.stdout);
}

// ---------------------------------------------------------------------------------------------
// migrate

#[test]
fn migrate_applies_and_running_it_again_succeeds() {
    let scratch = Scratch::new();
    let first = scratch.ok(&["migrate"]);
    assert!(
        scratch.postgres.is_some() || scratch.path("clientele.db").exists(),
        "migrate did not create the database"
    );
    let second = scratch.ok(&["migrate"]);
    assert!(
        first.stdout.contains("applied"),
        "first run: {}",
        first.stdout
    );
    assert!(
        second.stdout.contains("applied 0"),
        "second run: {}",
        second.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// tenants

#[test]
fn tenants_create_succeeds_once_and_then_reports_that_it_exists() {
    let scratch = Scratch::new();
    let first = scratch.ok(&["tenants", "create", "acme"]);
    assert!(first.stdout.contains("acme"), "stdout: {}", first.stdout);

    let second = scratch.run(&["tenants", "create", "acme"]);
    let line = second.one_line_failure();
    assert!(line.contains("already exists"), "stderr: {line}");
    assert!(
        line.contains("tenant \"acme\" already exists"),
        "stderr: {line}"
    );
}

#[test]
fn tenants_create_with_an_invalid_name_fails_with_one_line() {
    let scratch = Scratch::new();
    for bad in ["Bad_Name", "-leading-dash", &"a".repeat(64)] {
        let run = scratch.run(&["tenants", "create", bad]);
        run.one_line_failure();
    }
    // The longest allowed name is 63 characters.
    scratch.ok(&["tenants", "create", &"a".repeat(63)]);
}

// ---------------------------------------------------------------------------------------------
// keys

#[test]
fn keys_create_prints_the_key_alone_on_the_last_line() {
    let scratch = Scratch::new();
    scratch.create_tenant("acme");
    let run = scratch.ok(&[
        "keys",
        "create",
        "--tenant",
        "acme",
        "--permissions",
        "clients:read",
        "--name",
        "ci",
    ]);
    let key = run.last_line();
    assert!(key.starts_with("ck_"), "last line: {key:?}");
    assert_eq!(key, key.trim(), "last line: {key:?}");
    assert!(!key.contains(' '), "last line: {key:?}");
    assert!(
        key.len() > 20,
        "the key looks too short to be random: {key:?}"
    );
}

#[test]
fn keys_create_may_set_any_rate_limit_the_operator_is_not_bound_by_the_ceiling() {
    let scratch = Scratch::new();
    scratch.create_tenant("acme");
    let run = scratch.ok(&[
        "keys",
        "create",
        "--tenant",
        "acme",
        "--permissions",
        "clients:read",
        "--rate-limit",
        "4294967295/s",
    ]);
    assert!(run.last_line().starts_with("ck_"));
    let list = scratch.ok(&["keys", "list", "--tenant", "acme"]).stdout;
    assert!(list.contains("4294967295/s"), "{list}");
}

#[test]
fn keys_list_shows_id_prefix_and_status_but_never_the_plaintext() {
    let scratch = Scratch::new();
    scratch.create_tenant("acme");
    let created = scratch.ok(&[
        "keys",
        "create",
        "--tenant",
        "acme",
        "--permissions",
        "clients:read",
        "--name",
        "ci",
    ]);
    let key = created.last_line().to_string();

    let list = scratch.ok(&["keys", "list", "--tenant", "acme"]).stdout;
    let id = key_id_in_list(&list, &key);
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "id column: {id}");
    assert!(
        created.stdout.contains(&id),
        "keys create did not mention the id {id}"
    );
    let row = list.lines().find(|l| l.starts_with(&id)).expect("the row");
    assert!(row.contains("active"), "row: {row}");
    assert!(row.contains("clients:read"), "row: {row}");
    assert!(row.contains("ci"), "row: {row}");
    assert!(!list.contains(&key), "keys list printed the plaintext");
    assert!(
        !list.contains(&key[11..]),
        "keys list printed the secret part of the key"
    );

    let revoked = scratch.ok(&["keys", "revoke", &id]);
    assert!(revoked.stdout.contains(&id), "stdout: {}", revoked.stdout);
    let list = scratch.ok(&["keys", "list", "--tenant", "acme"]).stdout;
    let row = list.lines().find(|l| l.starts_with(&id)).expect("the row");
    assert!(row.contains("revoked"), "row: {row}");
    assert!(!row.contains("active"), "row: {row}");
}

#[tokio::test]
async fn a_key_revoked_with_the_cli_answers_401_at_once_on_a_running_server() {
    let scratch = Scratch::new();
    let server = scratch.serve();
    scratch.create_tenant("acme");
    let key = scratch.create_key("acme", "clients:read");
    assert_eq!(status_with_key(&server, &key).await, 200);

    let list = scratch.ok(&["keys", "list", "--tenant", "acme"]).stdout;
    let id = key_id_in_list(&list, &key);
    scratch.ok(&["keys", "revoke", &id]);
    assert_eq!(status_with_key(&server, &key).await, 401);
}

#[test]
fn keys_for_an_unknown_tenant_fail() {
    let scratch = Scratch::new();
    scratch.ok(&["migrate"]);
    let create = scratch.run(&[
        "keys",
        "create",
        "--tenant",
        "nobody",
        "--permissions",
        "clients:read",
    ]);
    assert!(create.one_line_failure().contains("nobody"));
    let list = scratch.run(&["keys", "list", "--tenant", "nobody"]);
    assert!(list.one_line_failure().contains("nobody"));
}

#[test]
fn revoking_an_unknown_key_id_fails() {
    let scratch = Scratch::new();
    scratch.ok(&["migrate"]);
    let run = scratch.run(&["keys", "revoke", "01a2084f-aae2-7415-a754-912c3e2fd379"]);
    run.one_line_failure();
    let run = scratch.run(&["keys", "revoke", "not-a-uuid"]);
    run.one_line_failure();
}

#[test]
fn keys_create_with_an_unknown_permission_fails_with_one_line() {
    let scratch = Scratch::new();
    scratch.create_tenant("acme");
    let run = scratch.run(&[
        "keys",
        "create",
        "--tenant",
        "acme",
        "--permissions",
        "root",
    ]);
    assert!(run.one_line_failure().contains("root"));
    assert!(!run.stdout.contains("ck_"), "stdout: {}", run.stdout);
}

#[test]
fn keys_create_with_a_bad_rate_limit_fails_with_one_line() {
    let scratch = Scratch::new();
    scratch.create_tenant("acme");
    let run = scratch.run(&[
        "keys",
        "create",
        "--tenant",
        "acme",
        "--permissions",
        "clients:read",
        "--rate-limit",
        "ten/min",
    ]);
    run.one_line_failure();
    assert!(!run.stdout.contains("ck_"), "stdout: {}", run.stdout);

    let run = scratch.ok(&[
        "keys",
        "create",
        "--tenant",
        "acme",
        "--permissions",
        "clients:read,clients:write",
        "--rate-limit",
        "600/min",
    ]);
    assert!(run.last_line().starts_with("ck_"));
}

// ---------------------------------------------------------------------------------------------
// configuration from the environment

/// Creates tenant `acme` with the database named only by `var`, then proves it landed in that
/// file by creating a key there through `--database`.
fn database_from_variable(var: &str) {
    let scratch = Scratch::new();
    let url = scratch.url_of("from-env.db");
    let run = Run::of(
        scratch
            .bare()
            .env(var, &url)
            .args(["tenants", "create", "acme"]),
    );
    assert!(run.success, "stderr: {}", run.stderr);
    let run = Run::of(scratch.bare().args([
        "--database",
        &url,
        "keys",
        "create",
        "--tenant",
        "acme",
        "--permissions",
        "clients:read",
    ]));
    assert!(run.success, "stderr: {}", run.stderr);
    assert!(run.last_line().starts_with("ck_"));
    assert!(
        !scratch.path("clientele.db").exists(),
        "the default database was used instead of {var}"
    );
}

#[test]
fn clientele_database_url_is_read_from_the_environment() {
    database_from_variable("CLIENTELE_DATABASE_URL");
}

#[test]
fn database_url_is_the_fallback_when_clientele_database_url_is_unset() {
    database_from_variable("DATABASE_URL");
}

#[test]
fn clientele_database_url_wins_over_database_url_and_the_flag_wins_over_both() {
    let scratch = Scratch::new();
    let preferred = scratch.url_of("preferred.db");
    let fallback = scratch.url_of("fallback.db");
    let flagged = scratch.url_of("flagged.db");
    let run = Run::of(
        scratch
            .bare()
            .env("CLIENTELE_DATABASE_URL", &preferred)
            .env("DATABASE_URL", &fallback)
            .args(["tenants", "create", "acme"]),
    );
    assert!(run.success, "stderr: {}", run.stderr);
    let run = Run::of(
        scratch
            .bare()
            .env("CLIENTELE_DATABASE_URL", &preferred)
            .env("DATABASE_URL", &fallback)
            .args(["--database", &flagged, "tenants", "create", "beta"]),
    );
    assert!(run.success, "stderr: {}", run.stderr);

    let tenant_exists = |url: &str, tenant: &str| {
        Run::of(
            scratch
                .bare()
                .args(["--database", url, "keys", "list", "--tenant", tenant]),
        )
        .success
    };
    assert!(tenant_exists(&preferred, "acme"));
    assert!(!tenant_exists(&fallback, "acme"));
    assert!(tenant_exists(&flagged, "beta"));
    assert!(!tenant_exists(&preferred, "beta"));
}

// ---------------------------------------------------------------------------------------------
// openapi

#[test]
fn openapi_prints_an_openapi_3_document_with_the_client_routes() {
    let scratch = Scratch::new();
    let run = Run::of(scratch.bare().arg("openapi"));
    assert!(run.success, "stderr: {}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let version = doc["openapi"].as_str().expect("an `openapi` string field");
    assert!(version.starts_with("3."), "openapi: {version}");
    let paths = doc["paths"].as_object().expect("a `paths` object");
    for path in [
        "/v1/clients",
        "/v1/clients/{id}",
        "/v1/clients/external-id/{external_id}",
    ] {
        assert!(paths.contains_key(path), "no {path} in paths");
    }
    assert!(
        !scratch.path("clientele.db").exists(),
        "openapi opened a database"
    );
}
