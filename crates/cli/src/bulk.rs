//! `clientele import` and `clientele export`: the same bulk path as `POST /v1/clients/import`
//! and `GET /v1/clients/export` (`clientele_api::bulk`), on the store opened directly.

use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clientele_api::bulk::{run_import, Exporter, ImportFailure};
use clientele_api::v1::query::parse_list_query;
use clientele_core::bulk::{Format, HeaderError};
use clientele_core::store::ImportMode;
use clientele_core::{Store, Tenant, WriteCtx};
use indicatif::{ProgressBar, ProgressStyle};

/// The actor of the audit records an import from the command line writes.
pub const IMPORT_ACTOR: &str = "cli:import";

/// A reader that counts the bytes read through it (for the progress bar).
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What `clientele import` ends with.
pub enum ImportEnd {
    /// Every row was read: the summary line, and whether any row failed.
    Done { summary: String, any_failed: bool },
    /// The import stopped (an unreadable header, a broken input, a store failure).
    Stopped(String),
}

fn header_message(HeaderError(details): &HeaderError) -> String {
    let parts: Vec<String> = details
        .iter()
        .map(|d| format!("{}: {}", d.field, d.message))
        .collect();
    parts.join("; ")
}

/// Imports `file` (`-`: standard input) into the tenant as the import `import_id` (which its
/// audit records carry). Errors go to `errors` as one JSON object per line (`line`, `field`,
/// `code`, `message`).
pub async fn import(
    store: Arc<dyn Store>,
    tenant: &Tenant,
    import_id: &str,
    file: &str,
    format: Format,
    mode: ImportMode,
    mut errors: Box<dyn Write + Send>,
) -> Result<ImportEnd, String> {
    let read = Arc::new(AtomicU64::new(0));
    let (input, len): (Box<dyn Read + Send>, Option<u64>) = if file == "-" {
        (Box::new(io::stdin()), None)
    } else {
        let f = File::open(file).map_err(|e| format!("cannot open {file}: {e}"))?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(f), len)
    };
    let reader = Counting {
        inner: input,
        read: read.clone(),
    };
    let bar = match len {
        Some(len) => ProgressBar::new(len),
        None => ProgressBar::new_spinner(),
    };
    let template = if len.is_some() {
        "{spinner} [{elapsed_precise}] {wide_bar} {msg} (eta {eta})"
    } else {
        "{spinner} [{elapsed_precise}] {msg}"
    };
    bar.set_style(ProgressStyle::with_template(template).map_err(|e| e.to_string())?);
    bar.enable_steady_tick(Duration::from_millis(200));
    let started = Instant::now();
    let ctx = WriteCtx::new(tenant.id, IMPORT_ACTOR).for_import(import_id);
    let mut write_failed = None;
    let mut rows = 0u64;
    let result = run_import(store, ctx, mode, format, reader, |report| {
        for e in &report.errors {
            let line = serde_json::to_string(e).unwrap_or_default();
            if let Err(err) = writeln!(errors, "{line}") {
                write_failed.get_or_insert(err);
            }
        }
        rows += report.counts.rows();
        let per_sec = rows as f64 / started.elapsed().as_secs_f64().max(0.001);
        bar.set_message(format!("{rows} rows ({per_sec:.0} rows/s)"));
        bar.set_position(read.load(Ordering::Relaxed));
    })
    .await;
    bar.finish();
    if !bar.is_hidden() {
        // As seed-demo: the summary (stdout) starts on a line of its own.
        eprintln!();
    }
    errors
        .flush()
        .map_err(|e| format!("cannot write the errors: {e}"))?;
    if let Some(e) = write_failed {
        return Err(format!("cannot write the errors: {e}"));
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(match result {
        Ok(c) => ImportEnd::Done {
            summary: format!(
                "created {}, updated {}, unchanged {}, failed {} in {secs:.1} s",
                c.created, c.updated, c.unchanged, c.failed
            ),
            any_failed: c.failed > 0,
        },
        Err(ImportFailure::Header(h)) => ImportEnd::Stopped(format!(
            "the CSV header cannot be read: {}",
            header_message(&h)
        )),
        Err(ImportFailure::Io(e)) => ImportEnd::Stopped(format!("cannot read {file}: {e}")),
        Err(ImportFailure::Service(e)) => ImportEnd::Stopped(format!("the import stopped: {e}")),
    })
}

/// Writes every client of the tenant that `filter` (if any) selects, archived ones included,
/// in creation order, to standard output.
pub async fn export(
    store: &dyn Store,
    tenant: &Tenant,
    format: Format,
    filter: Option<String>,
) -> Result<(), String> {
    let mut pairs = vec![("archived".to_string(), "all".to_string())];
    pairs.extend(filter.map(|f| ("filter".to_string(), f)));
    let request = parse_list_query(&pairs).map_err(|e| {
        let detail: Vec<String> = e
            .details
            .iter()
            .map(|d| format!("{}: {}", d.field, d.message))
            .collect();
        if detail.is_empty() {
            e.message
        } else {
            detail.join("; ")
        }
    })?;
    let mut exporter = Exporter::new(request.query, format);
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 20, stdout.lock());
    while let Some(chunk) = exporter
        .next_chunk(store, tenant.id)
        .await
        .map_err(|e| format!("the export stopped: {e}"))?
    {
        match out.write_all(&chunk) {
            Ok(()) => {}
            // A reader that stopped early (`| head`) is not an error.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(format!("cannot write the export: {e}")),
        }
    }
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the export: {e}"))
        }
        _ => Ok(()),
    }
}
