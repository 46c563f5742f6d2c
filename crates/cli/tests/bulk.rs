//! `clientele import` and `clientele export` against the real binary on its own SQLite file
//! (with `CLIENTELE_TEST_BACKEND=postgres`, its own new PostgreSQL database): round trips in
//! both formats and through standard input, bad rows and a truncated last line reported to
//! ERRFILE, a wrong header, an interrupted import resumed with `--mode upsert`, CSV quoting and
//! non-ASCII names, exit statuses, and tenants kept apart.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clientele_store::testing;
use serde_json::{json, Value};

/// Longest a command may take.
const WAIT: Duration = Duration::from_secs(60);

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

    fn file(&self, name: &str, content: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("write file");
        path.display().to_string()
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(path).expect("read file")
    }

    /// The binary on this database with `stdin` as its standard input, none of the caller's
    /// `CLIENTELE_*` variables, and at most [`WAIT`].
    fn run_with(&self, args: &[&str], stdin: &str) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_clientele"));
        for (var, _) in std::env::vars_os() {
            if var.to_string_lossy().starts_with("CLIENTELE_") {
                cmd.env_remove(var);
            }
        }
        cmd.env_remove("DATABASE_URL")
            .arg("--database")
            .arg(self.url())
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start clientele");
        let mut input = child.stdin.take().expect("stdin");
        let text = stdin.to_string();
        let writer = std::thread::spawn(move || {
            let _ = input.write_all(text.as_bytes());
        });
        let started = Instant::now();
        while child.try_wait().expect("poll").is_none() {
            if started.elapsed() > WAIT {
                let _ = child.kill();
                panic!("clientele {args:?} did not exit within {WAIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = writer.join();
        let out = child.wait_with_output().expect("output");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("utf-8"),
            stderr: String::from_utf8(out.stderr).expect("utf-8"),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, "")
    }

    fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, Some(0), "{args:?}: {}{}", run.stdout, run.stderr);
        run
    }

    fn tenant(&self, name: &str) {
        self.ok(&["tenants", "create", name]);
    }
}

/// The id an import printed on its first line, `import <id>`.
fn import_id(run: &Run) -> String {
    let first = run.stdout.lines().next().unwrap_or("");
    let id = first
        .strip_prefix("import ")
        .unwrap_or_else(|| panic!("no import id first: {:?}", run.stdout));
    uuid::Uuid::parse_str(id).unwrap_or_else(|_| panic!("not a UUID: {first}"));
    id.to_string()
}

/// `import <id>` then `created N, updated N, unchanged N, failed N in S s` → the four counts.
fn summary(run: &Run) -> [u64; 4] {
    import_id(run);
    let text = run.stdout.trim_end();
    assert_eq!(
        text.lines().count(),
        2,
        "the import's id, the summary: {text:?}"
    );
    let line = text.lines().last().unwrap_or("");
    let (counts, secs) = line.split_once(" in ").expect("'in S s'");
    assert!(secs.ends_with(" s"), "{line}");
    assert!(secs.trim_end_matches(" s").parse::<f64>().is_ok(), "{line}");
    let mut out = [0u64; 4];
    for (i, (part, word)) in counts
        .split(", ")
        .zip(["created", "updated", "unchanged", "failed"])
        .enumerate()
    {
        let (w, n) = part.split_once(' ').expect("word and number");
        assert_eq!(w, word, "{line}");
        out[i] = n.parse().expect("number");
    }
    out
}

fn portable(line: &str) -> Value {
    let mut doc: Value = serde_json::from_str(line).expect("an NDJSON line");
    if let Some(o) = doc.as_object_mut() {
        for k in ["id", "number", "created_at", "updated_at"] {
            o.remove(k);
        }
    }
    doc
}

fn rows() -> Vec<Value> {
    vec![
        json!({"name": "Åland Frakt, \"Ab\"", "external_id": "a-1", "address": {"city": "Mariehamn", "country": "AX"},
               "credit": {"limit": 5000.25, "currency": "EUR"}, "metadata": {"k": "v, w"}}),
        json!({"kind": "person", "first_name": "Ōsaka", "last_name": "Müller-Lüdenscheidt",
               "notes": "two\nlines", "external_id": "a-2"}),
        json!({"name": "Σίγμα Α.Ε.", "archived": true, "contact_persons": [{"name": "Νίκος"}]}),
    ]
}

fn ndjson(rows: &[Value]) -> String {
    rows.iter().map(|r| format!("{r}\n")).collect()
}

#[test]
fn an_export_reimported_from_a_file_or_stdin_in_either_format_reproduces_the_clients() {
    let s = Scratch::new();
    for t in ["src", "nd", "csv", "pipe"] {
        s.tenant(t);
    }
    let file = s.file("in.ndjson", &ndjson(&rows()));
    let run = s.ok(&["import", &file, "--tenant", "src"]);
    assert_eq!(summary(&run), [3, 0, 0, 0]);
    let original = s
        .ok(&["export", "--tenant", "src", "--format", "ndjson"])
        .stdout;
    let originals: Vec<Value> = original.lines().map(portable).collect();
    assert_eq!(originals.len(), 3, "archived clients are exported too");
    let nd = s.file("dump.ndjson", &original);
    assert_eq!(
        summary(&s.ok(&["import", &nd, "--tenant", "nd"])),
        [3, 0, 0, 0]
    );
    let csv = s
        .ok(&["export", "--tenant", "src", "--format", "csv"])
        .stdout;
    assert!(csv.contains("\"Åland Frakt, \"\"Ab\"\"\""), "{csv}");
    let csv_file = s.file("dump.csv", &csv);
    assert_eq!(
        summary(&s.ok(&["import", &csv_file, "--tenant", "csv"])),
        [3, 0, 0, 0]
    );
    let piped = s.run_with(
        &["import", "-", "--tenant", "pipe", "--format", "csv"],
        &csv,
    );
    assert_eq!(piped.code, Some(0), "{}", piped.stderr);
    assert_eq!(summary(&piped), [3, 0, 0, 0]);
    for t in ["nd", "csv", "pipe"] {
        let copy = s
            .ok(&["export", "--tenant", t, "--format", "ndjson"])
            .stdout;
        let copies: Vec<Value> = copy.lines().map(portable).collect();
        assert_eq!(copies, originals, "{t}");
        let first: Value = serde_json::from_str(copy.lines().next().unwrap_or("")).expect("json");
        assert_eq!(first["number"], 1, "{t}");
    }
    // Tenants stay apart: an export shows only its own tenant's clients.
    s.tenant("empty");
    let none = s.ok(&["export", "--tenant", "empty", "--format", "ndjson"]);
    assert_eq!(none.stdout, "");
    let filtered = s.ok(&[
        "export",
        "--tenant",
        "src",
        "--format",
        "ndjson",
        "--filter",
        "archived eq true",
    ]);
    assert_eq!(filtered.stdout.lines().count(), 1);
}

#[test]
fn bad_rows_and_a_truncated_last_line_go_to_errfile_and_exit_1() {
    let s = Scratch::new();
    s.tenant("t");
    let body = format!(
        "{}\n{}\n{}\n{{\"name\": \"cut off",
        json!({"name": "Good"}),
        json!({"name": "Bad", "email": "nope"}),
        json!({"name": "Also good", "website": "https://example.com"}),
    );
    let file = s.file("rows.jsonl", &body);
    let errfile = s.dir.path().join("errors.ndjson").display().to_string();
    let run = s.run(&["import", &file, "--tenant", "t", "--errors", &errfile]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert_eq!(summary(&run), [2, 0, 0, 2]);
    let errors: Vec<Value> = s
        .read(&errfile)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON error per line"))
        .collect();
    let got: Vec<(u64, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap_or(0),
                e["field"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(got, vec![(2, "email"), (4, "body")]);
    assert_eq!(errors[0]["code"], "invalid_format");
    assert!(errors[1]["message"].as_str().is_some_and(|m| !m.is_empty()));
    let out = s
        .ok(&["export", "--tenant", "t", "--format", "ndjson"])
        .stdout;
    let names: Vec<String> = out
        .lines()
        .map(|l| portable(l)["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(names, ["Good", "Also good"]);
}

#[test]
fn an_interrupted_import_resumes_with_upsert() {
    let s = Scratch::new();
    s.tenant("t");
    let all: Vec<Value> = (1..=20)
        .map(|i| json!({"name": format!("C{i}"), "external_id": format!("e{i}")}))
        .collect();
    let half = s.file("half.ndjson", &ndjson(&all[..8]));
    assert_eq!(
        summary(&s.ok(&["import", &half, "--tenant", "t"])),
        [8, 0, 0, 0]
    );
    let full = s.file("full.ndjson", &ndjson(&all));
    // Again in create mode: the first 8 are taken.
    let again = s.run(&["import", &full, "--tenant", "t", "--errors", "/dev/null"]);
    assert_eq!(again.code, Some(1));
    assert_eq!(summary(&again), [12, 0, 0, 8]);
    let resumed = s.ok(&["import", &full, "--tenant", "t", "--mode", "upsert"]);
    assert_eq!(summary(&resumed), [0, 0, 20, 0]);
    let mut changed = all.clone();
    changed[0]["name"] = json!("C1 renamed");
    let file = s.file("changed.ndjson", &ndjson(&changed));
    let run = s.ok(&["import", &file, "--tenant", "t", "--mode", "upsert"]);
    assert_eq!(summary(&run), [0, 1, 19, 0]);
}

#[test]
fn a_wrong_header_stops_the_import_and_usage_errors_exit_2() {
    let s = Scratch::new();
    s.tenant("t");
    let file = s.file("bad.csv", "name,colour\nA,red\n");
    let run = s.run(&["import", &file, "--tenant", "t"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("header"), "{}", run.stderr);
    let out = s.ok(&["export", "--tenant", "t", "--format", "csv"]).stdout;
    assert_eq!(out.lines().count(), 1, "only the header: {out}");
    let run = s.run(&["import", &file, "--tenant", "t", "--mode", "merge"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let run = s.run(&["export", "--tenant", "t", "--format", "xml"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let run = s.run(&["import", &file, "--tenant", "nobody"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let run = s.run(&[
        "export",
        "--tenant",
        "t",
        "--format",
        "csv",
        "--filter",
        "nope eq 1",
    ]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("filter"), "{}", run.stderr);
}

/// On a terminal (a pseudo-terminal from util-linux `script`) the progress bar shows rows and
/// rows per second and ends its line before the summary.
#[test]
fn import_on_a_terminal_draws_a_progress_bar_before_the_summary() {
    let have_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_script {
        assert!(
            std::env::var_os("CI").is_none(),
            "no `script` (util-linux) to give import a terminal"
        );
        eprintln!("skipped: no `script` (util-linux) to give import a terminal");
        return;
    }
    let s = Scratch::new();
    s.tenant("t");
    let rows: Vec<Value> = (0..500).map(|i| json!({"name": format!("R{i}")})).collect();
    let file = s.file("rows.ndjson", &ndjson(&rows));
    let command = format!(
        "'{}' --database '{}' import '{file}' --tenant t",
        env!("CARGO_BIN_EXE_clientele"),
        s.url()
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(s.dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("script");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(out.status.success(), "{text}");
    let summary = text
        .find("created 500, updated 0, unchanged 0, failed 0 in ")
        .unwrap_or_else(|| panic!("no summary in {text:?}"));
    let bar = text
        .find("500 rows (")
        .unwrap_or_else(|| panic!("no progress bar in {text:?}"));
    assert!(bar < summary, "{text:?}");
    assert!(text[bar..summary].contains("rows/s)"), "{text:?}");
    assert_eq!(text[..summary].chars().last(), Some('\n'), "{text:?}");
}

/// Every audit record an import writes names it (the id it printed first), seed-demo's too;
/// another import has another id.
#[test]
fn an_imports_audit_records_carry_the_id_it_printed() {
    let s = Scratch::new();
    s.tenant("t");
    let rows = [
        json!({"name": "A", "external_id": "a", "contact_persons": [{"name": "Eva Ek"}]}),
        json!({"name": "B", "external_id": "b"}),
    ];
    let file = s.file("rows.ndjson", &ndjson(&rows));
    let first = s.ok(&["import", &file, "--tenant", "t"]);
    assert_eq!(summary(&first), [2, 0, 0, 0]);
    let mut changed = rows.clone();
    changed[1]["name"] = json!("B2");
    let file = s.file("changed.ndjson", &ndjson(&changed));
    let second = s.ok(&["import", &file, "--tenant", "t", "--mode", "upsert"]);
    assert_eq!(summary(&second), [0, 1, 1, 0]);
    let (one, two) = (import_id(&first), import_id(&second));
    assert_ne!(one, two);
    let seeded = s.ok(&["seed-demo", "--tenant", "demo", "--count", "3"]);
    let seed_id = seeded
        .stdout
        .trim_end()
        .rsplit_once("(import ")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no import id: {}", seeded.stdout))
        .to_string();
    let feed = |tenant: &str| -> Vec<(String, String, Option<String>)> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let store = clientele_store::open(&s.url()).expect("store");
            let t = store
                .tenant_by_name(tenant)
                .await
                .expect("read")
                .expect("tenant");
            let page = store.events(t.id, None, 100).await.expect("events");
            store.close().await.expect("close");
            page.records
                .into_iter()
                .map(|r| (r.entity_type, r.action.as_str().to_string(), r.import_id))
                .collect()
        })
    };
    let got = feed("t");
    let expected = vec![
        (
            "client".to_string(),
            "created".to_string(),
            Some(one.clone()),
        ),
        ("client".into(), "created".into(), Some(one.clone())),
        ("contact_person".into(), "created".into(), Some(one)),
        ("client".into(), "updated".into(), Some(two)),
    ];
    assert_eq!(got, expected);
    let demo = feed("demo");
    assert_eq!(demo.len(), 3);
    assert!(
        demo.iter()
            .all(|r| r.2.as_deref() == Some(seed_id.as_str())),
        "{demo:?}"
    );
}
