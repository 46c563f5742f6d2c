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
        self.command(env!("CARGO_BIN_EXE_clientele"))
    }

    /// `program` with a clean environment, run inside the scratch directory.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        for var in CLIENTELE_ENV {
            cmd.env_remove(var);
        }
        for (var, _) in std::env::vars_os() {
            if var.to_string_lossy().starts_with("CLIENTELE_") {
                cmd.env_remove(var);
            }
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
        Self::within(cmd, WAIT)
    }

    /// As [`Run::of`], with another time limit.
    fn within(cmd: &mut Command, limit: Duration) -> Self {
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
                started.elapsed() < limit,
                "{cmd:?} did not exit within {limit:?}"
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

    /// Asserts a usage error (exit status 2, nothing on stdout) and returns clap's message.
    fn usage_failure(&self) -> &str {
        assert_eq!(
            self.code,
            Some(2),
            "expected a usage error (2), got {:?}:\n{}{}",
            self.code,
            self.stdout,
            self.stderr
        );
        assert!(self.stdout.is_empty(), "stdout: {}", self.stdout);
        assert!(
            self.stderr.starts_with("error: ") || self.stderr.contains("Usage: "),
            "stderr: {}",
            self.stderr
        );
        &self.stderr
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
fn serve_with_a_bad_bind_flag_fails_with_a_usage_error_and_does_not_start() {
    let scratch = Scratch::new();
    let run = scratch.run(&["serve", "--bind", "nonsense"]);
    let text = run.usage_failure();
    assert!(text.contains("'nonsense'"), "stderr: {text}");
    assert!(text.contains("--bind"), "stderr: {text}");
    assert!(!run.stdout.contains("listening"), "stdout: {}", run.stdout);
    assert!(
        !scratch.path("clientele.db").exists(),
        "the database was opened before the flags were checked"
    );
}

#[test]
fn serve_with_a_bad_clientele_bind_variable_fails_with_a_usage_error_and_does_not_start() {
    let scratch = Scratch::new();
    let run = Run::of(
        scratch
            .clientele()
            .env("CLIENTELE_BIND", "nonsense")
            .arg("serve"),
    );
    let text = run.usage_failure();
    assert!(text.contains("'nonsense'"), "stderr: {text}");
    assert!(text.contains("CLIENTELE_BIND"), "stderr: {text}");
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
    assert_mentions(
        run.one_line_failure(),
        &["cannot listen on", &addr, "--bind"],
    );
    assert!(!run.stdout.contains("listening"), "stdout: {}", run.stdout);
}

// ---------------------------------------------------------------------------------------------
// command-line messages

/// Asserts that `text` contains every one of `parts`.
fn assert_mentions(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "{part:?} is not in:\n{text}");
    }
}

#[test]
fn a_bare_command_or_command_group_prints_its_help_with_the_list_of_commands() {
    let scratch = Scratch::new();
    let run = Run::of(&mut scratch.bare());
    assert_mentions(
        run.usage_failure(),
        &[
            "Usage: clientele",
            "Commands:",
            "serve",
            "migrate",
            "tenants",
            "keys",
            "openapi",
            "seed-demo",
        ],
    );
    let run = Run::of(scratch.bare().arg("keys"));
    assert_mentions(
        run.usage_failure(),
        &["Usage: clientele keys", "create", "list", "revoke"],
    );
    let run = Run::of(scratch.bare().arg("tenants"));
    assert_mentions(run.usage_failure(), &["Usage: clientele tenants", "create"]);
    assert!(
        !scratch.path("clientele.db").exists(),
        "a usage error opened the database"
    );
}

#[test]
fn a_missing_argument_is_named() {
    let scratch = Scratch::new();
    for (args, missing) in [
        (&["keys", "list"][..], "--tenant <TENANT>"),
        (&["keys", "create", "--tenant", "acme"][..], "--permissions"),
        (&["seed-demo", "--tenant", "x"][..], "--count <COUNT>"),
        (&["tenants", "create"][..], "<NAME>"),
        (&["keys", "revoke"][..], "<KEY_ID>"),
    ] {
        let run = Run::of(scratch.bare().args(args));
        let text = run.usage_failure();
        assert_mentions(
            text,
            &[
                "the following required arguments were not provided",
                missing,
            ],
        );
        assert!(text.contains("Usage: clientele"), "{args:?}: {text}");
    }
}

#[test]
fn a_mistyped_command_or_flag_gets_a_suggestion() {
    let scratch = Scratch::new();
    let run = Run::of(scratch.bare().arg("kyes"));
    assert_mentions(run.usage_failure(), &["'kyes'", "similar", "'keys'"]);
    let run = Run::of(scratch.bare().args(["keys", "list", "--tennant", "acme"]));
    assert_mentions(run.usage_failure(), &["'--tennant'", "similar", "--tenant"]);
}

#[test]
fn an_invalid_value_lists_the_accepted_values_and_says_why() {
    let scratch = Scratch::new();
    let run = Run::of(scratch.bare().args(["--log-format", "xml", "migrate"]));
    let text = run.usage_failure();
    assert_mentions(text, &["'xml'", "--log-format", "pretty", "json"]);
    assert!(!text.contains("CLIENTELE_LOG_FORMAT"), "{text}");

    let run = Run::of(scratch.bare().args(["serve", "--rate-limit", "lots"]));
    assert_mentions(run.usage_failure(), &["'lots'", "--rate-limit", "1200/min"]);

    // Zero is well-formed but useless: the message says so, not how a rate looks.
    let run = Run::of(scratch.bare().args(["serve", "--rate-limit", "0/min"]));
    let text = run.usage_failure();
    assert_mentions(
        text,
        &["'0/min'", "at least 1 request", "refuse every request"],
    );
    assert!(!text.contains("must look like"), "{text}");
    assert!(!scratch.path("clientele.db").exists());
}

#[test]
fn an_invalid_value_from_an_environment_variable_names_the_variable() {
    let scratch = Scratch::new();
    let run = Run::of(scratch.bare().env("CLIENTELE_RATE_LIMIT", "lots").args([
        "serve",
        "--bind",
        "127.0.0.1:0",
    ]));
    let text = run.usage_failure();
    assert_mentions(text, &["'lots'", "CLIENTELE_RATE_LIMIT", "--rate-limit"]);
    assert!(!run.stdout.contains("listening"), "{}", run.stdout);

    let run = Run::of(
        scratch
            .bare()
            .env("CLIENTELE_LOG_FORMAT", "xml")
            .arg("migrate"),
    );
    assert_mentions(
        run.usage_failure(),
        &["'xml'", "CLIENTELE_LOG_FORMAT", "pretty", "json"],
    );

    let run = Run::of(scratch.bare().env("CLIENTELE_REQUEST_TIMEOUT", "0").args([
        "serve",
        "--bind",
        "127.0.0.1:0",
    ]));
    assert_mentions(
        run.usage_failure(),
        &["CLIENTELE_REQUEST_TIMEOUT", "1..=3600"],
    );

    // A flag wins over its variable, and an error in the flag is reported under the flag.
    let run = Run::of(scratch.bare().env("CLIENTELE_RATE_LIMIT", "100/min").args([
        "serve",
        "--rate-limit",
        "lots",
    ]));
    let text = run.usage_failure();
    assert_mentions(text, &["'lots'", "--rate-limit"]);
    assert!(!text.contains("CLIENTELE_RATE_LIMIT"), "{text}");
    assert!(!scratch.path("clientele.db").exists());
}

#[test]
fn an_unreachable_database_is_named_without_its_password_in_one_line() {
    let scratch = Scratch::new();
    // Nothing listens on port 1: the connection is refused at once.
    let url = "postgres://bob:hunter2-secret@127.0.0.1:1/app?password=hunter3-secret";
    let run = Run::of(scratch.bare().args(["--database", url, "migrate"]));
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    let line = run.one_line_failure();
    assert_mentions(line, &["postgres://bob@127.0.0.1:1/app", "refused"]);
    assert!(!line.contains("hunter"), "the password is shown: {line}");
    assert_eq!(
        line.matches("connect").count(),
        1,
        "the reason is repeated: {line}"
    );
    assert!(!line.contains("creating a new object"), "{line}");

    let run = Run::of(
        scratch
            .bare()
            .args(["--database", url, "keys", "list", "--tenant", "acme"]),
    );
    let line = run.one_line_failure();
    assert_mentions(line, &["postgres://bob@127.0.0.1:1/app", "refused"]);
    assert!(!line.contains("hunter"), "the password is shown: {line}");
}

#[test]
fn a_database_that_cannot_be_opened_is_named() {
    let scratch = Scratch::new();
    let not_a_database = scratch.path("not-a-database.db");
    std::fs::write(&not_a_database, "plain text, not SQLite ".repeat(100)).expect("write a file");
    let url = scratch.url_of("not-a-database.db");
    let run = Run::of(scratch.bare().args(["--database", &url, "migrate"]));
    let line = run.one_line_failure();
    assert!(line.contains(&url), "{line}");
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
fn tenants_create_with_an_invalid_name_fails_with_a_usage_error() {
    let scratch = Scratch::new();
    for bad in ["Bad_Name", "-leading-dash", &"a".repeat(64)] {
        let run = scratch.run(&["tenants", "create", "--", bad]);
        assert!(
            run.usage_failure().contains("[a-z0-9][a-z0-9-]{0,62}"),
            "{bad}: {}",
            run.stderr
        );
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

#[test]
fn keys_list_prints_aligned_columns_under_a_header() {
    let scratch = Scratch::new();
    scratch.create_tenant("acme");
    scratch.ok(&[
        "keys",
        "create",
        "--tenant",
        "acme",
        "--permissions",
        "clients:read,clients:write,clients:delete,audit:read",
        "--name",
        "nightly export",
    ]);
    scratch.ok(&[
        "keys",
        "create",
        "--tenant",
        "acme",
        "--permissions",
        "admin",
        "--rate-limit",
        "600/min",
    ]);
    let list = scratch.ok(&["keys", "list", "--tenant", "acme"]).stdout;
    let lines: Vec<Vec<char>> = list.lines().map(|l| l.chars().collect()).collect();
    assert_eq!(lines.len(), 3, "{list}");
    let header = &lines[0];
    let starts: Vec<usize> = (0..header.len())
        .filter(|&i| header[i] != ' ' && (i == 0 || header[i - 1] == ' '))
        .collect();
    let names: Vec<String> = list
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(
        names,
        [
            "ID",
            "PREFIX",
            "STATUS",
            "RATE",
            "CREATED",
            "PERMISSIONS",
            "NAME"
        ],
        "{list}"
    );
    for row in &lines[1..] {
        for (n, &start) in starts.iter().enumerate().skip(1) {
            let last = n + 1 == starts.len();
            if last && row.len() <= start {
                continue; // an empty NAME
            }
            assert!(
                row[start - 2] == ' ' && row[start - 1] == ' ' && row[start] != ' ',
                "column {} does not start at {start} in:\n{list}",
                names[n]
            );
        }
    }
    assert!(list.contains("nightly export"), "{list}");
    assert!(list.contains("600/min"), "{list}");
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
    assert_mentions(
        create.one_line_failure(),
        &["\"nobody\"", "clientele tenants create nobody"],
    );
    let list = scratch.run(&["keys", "list", "--tenant", "nobody"]);
    assert_mentions(
        list.one_line_failure(),
        &["\"nobody\"", "clientele tenants create nobody"],
    );
}

#[test]
fn revoking_an_unknown_key_id_fails() {
    let scratch = Scratch::new();
    scratch.ok(&["migrate"]);
    let run = scratch.run(&["keys", "revoke", "01a2084f-aae2-7415-a754-912c3e2fd379"]);
    assert_mentions(
        run.one_line_failure(),
        &["01a2084f-aae2-7415-a754-912c3e2fd379", "keys list"],
    );
    let run = scratch.run(&["keys", "revoke", "not-a-uuid"]);
    assert!(run.usage_failure().contains("'not-a-uuid'"));
}

#[test]
fn keys_create_with_an_unknown_permission_fails_with_a_usage_error() {
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
    assert!(run.usage_failure().contains("'root'"));
    assert!(!run.stdout.contains("ck_"), "stdout: {}", run.stdout);
}

#[test]
fn keys_create_with_a_bad_rate_limit_fails_with_a_usage_error() {
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
    assert!(run.usage_failure().contains("'ten/min'"));
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
// seed-demo

#[test]
fn seed_demo_inserts_clients_without_a_bar_when_not_on_a_terminal() {
    let scratch = Scratch::new();
    let run = scratch.ok(&["seed-demo", "--tenant", "demo", "--count", "120"]);
    assert_eq!(
        run.stdout.trim(),
        run.stdout.lines().last().unwrap_or("").trim(),
        "stdout: {}",
        run.stdout
    );
    assert!(
        run.stdout
            .starts_with("inserted 120 demo clients into tenant demo in "),
        "stdout: {}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
    // It closes its store: on SQLite the file it leaves is at rest, its WAL folded in.
    if scratch.postgres.is_none() {
        let wal = scratch.path("clientele.db-wal");
        let left = std::fs::metadata(&wal).map_or(0, |m| m.len());
        assert_eq!(left, 0, "seed-demo left {left} bytes of WAL");
        // Its clients are counted: the counters equal a recount of the rows.
        let drift =
            clientele_store::testing::sqlite_counter_drift(&scratch.url()).expect("recount");
        assert!(drift.is_empty(), "{drift:#?}");
    }
}

/// On SQLite, seed-demo's clients keep their documents (`client_docs`, migration 32), and a
/// point read answers the same from a document as from the client's row.
#[tokio::test]
async fn seed_demo_clients_are_read_the_same_from_their_documents() {
    let scratch = Scratch::new();
    if scratch.postgres.is_some() {
        return;
    }
    scratch.ok(&["seed-demo", "--tenant", "demo", "--count", "40"]);
    let key = scratch.create_key("demo", "clients:read");
    let db = rusqlite::Connection::open(scratch.path("clientele.db")).expect("open");
    let docs: i64 = db
        .query_row("SELECT count(*) FROM client_docs", [], |r| r.get(0))
        .expect("count");
    assert_eq!(docs, 40);
    let ids: Vec<String> = db
        .prepare("SELECT id FROM clients ORDER BY rid LIMIT 5")
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .expect("ids");
    let server = scratch.serve();
    let read = |id: String| {
        let (server, key) = (&server, &key);
        async move {
            let res = http()
                .get(server.url(&format!("/v1/clients/{id}")))
                .header("X-API-Key", key)
                .send()
                .await
                .expect("read");
            let status = res.status().as_u16();
            let etag = res.headers().get("etag").cloned();
            (status, etag, res.bytes().await.expect("body"))
        }
    };
    for id in ids {
        let kept = read(id.clone()).await;
        assert_eq!(kept.0, 200);
        db.execute(
            "DELETE FROM client_docs WHERE rid = (SELECT rid FROM clients WHERE id = ?1)",
            [&id],
        )
        .expect("drop the document");
        assert_eq!(kept, read(id).await);
    }
}

/// On a terminal (a pseudo-terminal from util-linux `script`) the progress bar shows a whole
/// number of clients per second and ends its line before the summary.
#[test]
fn seed_demo_on_a_terminal_ends_its_progress_bar_before_the_summary() {
    if !have("script") {
        // CI installs it (.ci/run); elsewhere the test says what it could not run.
        assert!(
            std::env::var_os("CI").is_none(),
            "no `script` (util-linux) to give seed-demo a terminal"
        );
        eprintln!("skipped: no `script` (util-linux) to give seed-demo a terminal");
        return;
    }
    let scratch = Scratch::new();
    let command = format!(
        "'{}' --database '{}' seed-demo --tenant demo --count 300",
        env!("CARGO_BIN_EXE_clientele"),
        scratch.url()
    );
    let mut script = scratch.command("script");
    script.args(["-qec", &command, "/dev/null"]);
    let run = Run::of(&mut script);
    assert!(run.success, "{:?}: {}{}", run.code, run.stdout, run.stderr);
    let out = run.stdout.replace('\r', "");
    let summary = out
        .find("inserted 300 demo clients")
        .unwrap_or_else(|| panic!("no summary in: {out:?}"));
    let bar_end = out
        .find("300/300 clients (")
        .unwrap_or_else(|| panic!("the bar was not drawn: {out:?}"));
    assert!(bar_end < summary, "{out:?}");
    assert_eq!(
        out[..summary].chars().last(),
        Some('\n'),
        "the summary runs into the bar: {out:?}"
    );
    let rate = out[bar_end..]
        .split_once("clients (")
        .and_then(|(_, rest)| rest.split_once("/s"))
        .map(|(rate, _)| rate)
        .unwrap_or_else(|| panic!("no rate in: {out:?}"));
    assert!(
        !rate.is_empty() && rate.chars().all(|c| c.is_ascii_digit()),
        "rate {rate:?} is not a whole number: {out:?}"
    );
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

// ---------------------------------------------------------------------------------------------
// the README's curl session

/// A step of the README's session: the lines up to a blank line, named by its first line.
struct Step {
    name: String,
    script: String,
}

/// The ```sh blocks of the README section "A first session with curl" (the session and "A few
/// more things"), cut into steps.
fn readme_session() -> Vec<Step> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("read README.md");
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("A first session with curl"))
        .expect("README.md has a section \"A first session with curl\"");
    assert!(
        section.contains("\nA few more things"),
        "\"A few more things\" moved out of the section"
    );
    let mut blocks = Vec::new();
    let mut block: Option<Vec<&str>> = None;
    for line in section.lines() {
        match (&mut block, line.trim_end()) {
            (None, "```sh") => block = Some(Vec::new()),
            (Some(lines), "```") => {
                blocks.push(std::mem::take(lines));
                block = None;
            }
            (Some(lines), _) => lines.push(line),
            (None, _) => {}
        }
    }
    assert_eq!(blocks.len(), 2, "expected two ```sh blocks in the section");
    let mut steps = Vec::new();
    for lines in blocks {
        for chunk in lines.split(|l| l.trim().is_empty()) {
            if let Some(first) = chunk.first() {
                steps.push(Step {
                    name: first.to_string(),
                    script: chunk.join("\n"),
                });
            }
        }
    }
    steps
}

/// The JSON values jq printed, one after the other.
fn json_values(out: &str) -> Vec<serde_json::Value> {
    serde_json::Deserializer::from_str(out)
        .into_iter::<serde_json::Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("not a sequence of JSON values ({e}): {out}"))
}

/// The output lines without the carriage returns of HTTP headers.
fn plain_lines(out: &str) -> Vec<String> {
    out.lines().map(|l| l.trim_end().to_string()).collect()
}

/// What each step of the README must print; a step without an entry here fails the test, so a
/// changed README needs a look at what it now shows.
fn check_readme_step(name: &str, out: &str) {
    use serde_json::json;
    let step = name.trim_start_matches("# ");
    if step.starts_with("KEY=") {
        assert_eq!(out.trim(), "", "{name}");
    } else if step.starts_with("Create a client") {
        assert!(uuid::Uuid::parse_str(out.trim()).is_ok(), "{name}: {out}");
    } else if step.starts_with("Read it back") {
        let lines = plain_lines(out);
        assert_eq!(lines[0], "HTTP/1.1 200 OK", "{name}: {out}");
        let header = |h: &str| {
            lines
                .iter()
                .find_map(|l| {
                    l.split_once(": ")
                        .filter(|(k, _)| k.eq_ignore_ascii_case(h))
                        .map(|(_, v)| v.to_string())
                })
                .unwrap_or_else(|| panic!("{name}: no {h} header in {out}"))
        };
        assert_eq!(header("etag"), "\"1\"");
        assert!(header("x-request-id").starts_with("req_"), "{out}");
        let body = json_values(out.rsplit("\r\n\r\n").next().unwrap_or(""));
        assert_eq!(body[0]["data"]["name"], "Acme AB", "{out}");
        assert_eq!(body[0]["data"]["address"]["country"], "SE", "{out}");
    } else if step.starts_with("Change part of it") {
        let v = &json_values(out)[0];
        assert_eq!(v["status"], "inactive", "{out}");
        assert_eq!(v["email"], serde_json::Value::Null, "{out}");
        assert_eq!(v["address"]["city"], "Malmö", "objects merge: {out}");
        assert_eq!(v["address"]["postal_code"], "211 20", "{out}");
        assert_eq!(v["version"], 2, "{out}");
    } else if step.starts_with("List the tenant's clients") {
        let v = json_values(out);
        assert_eq!(v[0]["total"], 1, "{out}");
        assert_eq!(v[0]["limit"], 10, "{out}");
        assert_eq!(v[1], json!(["Acme AB"]), "{out}");
    } else if step.starts_with("Upsert by your own id") {
        assert_eq!(
            plain_lines(out),
            ["HTTP/1.1 201 Created", "HTTP/1.1 200 OK"],
            "{name}"
        );
    } else if step.starts_with("Delete") {
        assert_eq!(
            plain_lines(out),
            ["HTTP/1.1 204 No Content", "HTTP/1.1 404 Not Found"],
            "{name}"
        );
    } else if step.starts_with("Search") {
        let v = json_values(out);
        assert_eq!(v[0], json!(["Beta GmbH"]), "{out}");
        let rows = v[1].as_array().unwrap_or_else(|| panic!("{out}"));
        assert_eq!(rows.len(), 1, "{out}");
        assert_eq!(rows[0]["name"], "Beta GmbH", "{out}");
        assert_eq!(rows[0]["address"], json!({"country": "DE"}), "{out}");
        assert_eq!(
            v[2],
            serde_json::Value::Null,
            "the last page has no cursor: {out}"
        );
    } else if step.starts_with("Sub-resources") {
        assert_eq!(json_values(out), [json!(true), json!(1)], "{out}");
    } else if step.starts_with("Safe retries") {
        let lines: Vec<String> = plain_lines(out)
            .into_iter()
            .map(|l| l.to_ascii_lowercase())
            .collect();
        assert_eq!(
            lines,
            [
                "http/1.1 201 created",
                "http/1.1 201 created",
                "idempotent-replayed: true"
            ],
            "the second request must be a replay: {out}"
        );
    } else if step.starts_with("Who changed what") {
        let v = json_values(out);
        let (meta, history) = v.split_last().unwrap_or_else(|| panic!("{out}"));
        assert!(
            history
                .iter()
                .any(|h| h["action"] == "created" && h["entity_type"] == "client"),
            "{out}"
        );
        assert!(!out.contains("eva@acme.example"), "not masked: {out}");
        assert!(meta.get("next_cursor").is_some(), "{out}");
    } else {
        panic!("README step {name:?} has no expected output in check_readme_step");
    }
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The README's curl session, run as written (with the key the server printed and its port)
/// against a fresh server, step by step.
#[test]
fn the_readme_curl_session_shows_what_it_says() {
    let missing: Vec<&str> = ["bash", "curl", "jq"]
        .into_iter()
        .filter(|p| !have(p))
        .collect();
    if !missing.is_empty() {
        // CI installs them (.ci/run); elsewhere the test says what it could not run.
        assert!(
            std::env::var_os("CI").is_none(),
            "the README session needs {missing:?}"
        );
        eprintln!("skipped: the README session needs {missing:?}");
        return;
    }
    let steps = readme_session();
    let scratch = Scratch::new();
    let server = scratch.serve();
    let key = server.banner.get(1).expect("the bootstrap key").clone();

    // Every step runs in one shell (later steps use $ID); an ERR trap marks a failing command.
    let mut script = String::from(
        "exec 2>&1\nset -E -o pipefail\ntrap 'echo \"@@failed: $BASH_COMMAND\"' ERR\n",
    );
    for (i, step) in steps.iter().enumerate() {
        let mut body = step.script.clone();
        if i == 0 {
            assert!(
                body.contains("KEY=ck_paste_the_key_that_serve_printed"),
                "{body}"
            );
            assert!(body.contains("BASE=http://127.0.0.1:8080"), "{body}");
            body = body
                .replace(
                    "KEY=ck_paste_the_key_that_serve_printed",
                    &format!("KEY={key}"),
                )
                .replace(
                    "BASE=http://127.0.0.1:8080",
                    &format!("BASE={}", server.base),
                );
        }
        script.push_str(&format!("echo '@@step {i}'\n{body}\n"));
    }
    // curl reads its configuration from here only: no proxy, and no request hangs.
    std::fs::write(scratch.path(".curlrc"), "noproxy = \"*\"\nmax-time = 20\n")
        .expect("write .curlrc");
    let mut bash = scratch.command("bash");
    bash.args(["--noprofile", "--norc", "-c", &script])
        .env("CURL_HOME", scratch.dir.path())
        .env("HOME", scratch.dir.path());
    for proxy in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        bash.env_remove(proxy);
    }
    let run = Run::within(&mut bash, Duration::from_secs(120));
    let transcript = &run.stdout;
    assert!(run.success, "bash failed ({:?}):\n{transcript}", run.code);

    let mut outputs = transcript.split("@@step ").skip(1);
    for (i, step) in steps.iter().enumerate() {
        let part = outputs
            .next()
            .unwrap_or_else(|| panic!("step {i} did not run:\n{transcript}"));
        let (number, out) = part.split_once('\n').unwrap_or((part, ""));
        assert_eq!(number.trim(), i.to_string(), "{transcript}");
        assert!(
            !out.contains("@@failed"),
            "README step {:?} failed:\n{out}",
            step.name
        );
        check_readme_step(&step.name, out);
    }
}
