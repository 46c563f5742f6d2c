//! `clientele tenants create --currency` and the seed name of `clients:read` in
//! `clientele keys create`, against the real binary on its own SQLite file (with
//! `CLIENTELE_TEST_BACKEND=postgres`, its own new PostgreSQL database).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clientele_store::testing;

/// Longest a command may take.
const WAIT: Duration = Duration::from_secs(20);

struct Scratch {
    dir: tempfile::TempDir,
    postgres: Option<testing::TestDatabase>,
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Scratch {
    fn new() -> Self {
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
            dir: tempfile::tempdir().expect("temporary directory"),
            postgres,
        }
    }

    fn url(&self) -> String {
        match &self.postgres {
            Some(db) => db.url().to_string(),
            None => format!("sqlite://{}", self.dir.path().join("c.db").display()),
        }
    }

    /// The binary on this database, with none of the caller's `CLIENTELE_*` variables and
    /// `envs` set.
    fn run(&self, args: &[&str], envs: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_clientele"));
        for (var, _) in std::env::vars_os() {
            if var.to_string_lossy().starts_with("CLIENTELE_") {
                cmd.env_remove(var);
            }
        }
        cmd.env_remove("DATABASE_URL")
            .envs(envs.iter().copied())
            .current_dir(self.dir.path())
            .arg("--database")
            .arg(self.url())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start clientele");
        let started = Instant::now();
        while child.try_wait().expect("poll").is_none() {
            if started.elapsed() > WAIT {
                let _ = child.kill();
                panic!("clientele {args:?} did not exit within {WAIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().expect("output");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args, &[]);
        assert_eq!(run.code, Some(0), "{args:?}: {}{}", run.stdout, run.stderr);
        run
    }

    /// The default currency the store holds for tenant `name`.
    fn currency_of(&self, name: &str) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let store = clientele_store::open(&self.url()).expect("open");
            let t = store.tenant_by_name(name).await.expect("read");
            store.close().await.expect("close");
            t.expect("tenant exists").default_currency.into_inner()
        })
    }
}

#[test]
fn a_tenant_takes_the_currency_it_is_given_upper_cased_and_eur_otherwise() {
    let scratch = Scratch::new();
    let run = scratch.ok(&["tenants", "create", "acme"]);
    assert!(
        run.stdout.contains("default currency EUR"),
        "{}",
        run.stdout
    );
    assert_eq!(scratch.currency_of("acme"), "EUR");

    let run = scratch.ok(&["tenants", "create", "nordic", "--currency", "sek"]);
    assert!(
        run.stdout.contains("default currency SEK"),
        "{}",
        run.stdout
    );
    assert_eq!(scratch.currency_of("nordic"), "SEK");

    let run = scratch.run(
        &["tenants", "create", "swiss"],
        &[("CLIENTELE_CURRENCY", "CHF")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(scratch.currency_of("swiss"), "CHF");
    // The flag wins over the variable.
    let run = scratch.run(
        &["tenants", "create", "dansk", "--currency", "DKK"],
        &[("CLIENTELE_CURRENCY", "CHF")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(scratch.currency_of("dansk"), "DKK");
}

#[test]
fn a_bad_currency_is_a_usage_error_naming_the_flag_or_its_variable_and_creates_nothing() {
    let scratch = Scratch::new();
    scratch.ok(&["migrate"]);
    let run = scratch.run(&["tenants", "create", "acme", "--currency", "EURO"], &[]);
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    for part in ["'EURO'", "--currency", "ISO 4217"] {
        assert!(run.stderr.contains(part), "{part}: {}", run.stderr);
    }
    let run = scratch.run(
        &["tenants", "create", "acme"],
        &[("CLIENTELE_CURRENCY", "XX")],
    );
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    for part in ["'XX'", "CLIENTELE_CURRENCY", "ISO 4217"] {
        assert!(run.stderr.contains(part), "{part}: {}", run.stderr);
    }
    // Nothing was created: the name is still free.
    scratch.ok(&["tenants", "create", "acme"]);
}

#[test]
fn keys_create_accepts_the_seed_name_of_clients_read_and_shows_ours() {
    let scratch = Scratch::new();
    scratch.ok(&["tenants", "create", "acme"]);
    let run = scratch.ok(&[
        "keys",
        "create",
        "--tenant",
        "acme",
        "--permissions",
        "APICLI_CLIENTS_READ,audit:read",
    ]);
    assert!(
        run.stdout
            .contains("with permissions clients:read,audit:read"),
        "{}",
        run.stdout
    );
    let list = scratch.ok(&["keys", "list", "--tenant", "acme"]);
    assert!(
        list.stdout.contains("clients:read,audit:read"),
        "{}",
        list.stdout
    );
    assert!(!list.stdout.contains("APICLI"), "{}", list.stdout);
}
