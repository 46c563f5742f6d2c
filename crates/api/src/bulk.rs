//! Bulk import and export, for every caller alike (`POST /v1/clients/import`,
//! `GET /v1/clients/export`, `clientele import`, `clientele export`): the rows of a byte stream
//! are read and parsed on a blocking thread while the previous batch is written
//! (`service::import_batch`, one transaction per batch); an export reads keyset pages and turns
//! each into one chunk of bytes.

use std::io::{self, Read};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use clientele_core::bulk::{self, CsvWriter, Format, HeaderError, HeaderErrorOrIo, RawRow};
use clientele_core::query::ClientQuery;
use clientele_core::service::{
    self, BatchReport, ClientExport, ImportCounts, ParsedRow, ServiceError, IMPORT_BATCH,
};
use clientele_core::store::ImportMode;
use clientele_core::{Client, FieldError, Store, TenantId, WriteCtx};
use tokio::sync::mpsc;

use crate::extract::unstorable_text_at;

/// Why an import stopped before the end of its rows (rows already written stay written).
#[derive(Debug)]
pub enum ImportFailure {
    /// The CSV header row cannot be read: nothing was written.
    Header(HeaderError),
    /// The body could not be read on.
    Io(io::Error),
    /// The store failed a whole batch.
    Service(ServiceError),
}

enum Msg {
    Batch(Vec<ParsedRow>),
    Header(HeaderError),
    Io(io::Error),
}

/// A row's document must hold no text the store cannot keep (as `JsonBody` refuses it).
fn storable(raw: RawRow) -> RawRow {
    let field = match &raw.doc {
        Ok(doc) => unstorable_text_at(doc),
        Err(_) => None,
    };
    match field {
        Some(field) => RawRow {
            line: raw.line,
            doc: Err(vec![FieldError::new(
                field,
                "invalid_character",
                "must not contain the NUL character (U+0000)",
            )]),
        },
        None => raw,
    }
}

/// Reads every row of `reader` in `format` and writes them in batches; `on_batch` sees each
/// batch's report as it is committed (counts and every error of its failed rows). `ctx` names
/// the import (`WriteCtx::for_import`, `bulk::new_import_id`) so that its audit records carry
/// the id; one is made here when it does not.
pub async fn run_import<R: Read + Send + 'static>(
    store: Arc<dyn Store>,
    mut ctx: WriteCtx,
    mode: ImportMode,
    format: Format,
    reader: R,
    mut on_batch: impl FnMut(&BatchReport) + Send,
) -> Result<ImportCounts, ImportFailure> {
    if ctx.import_id.is_none() {
        ctx.import_id = Some(bulk::new_import_id());
    }
    let (tx, mut rx) = mpsc::channel::<Msg>(2);
    let parse_ctx = ctx.clone();
    let reading = tokio::task::spawn_blocking(move || {
        let rows = match bulk::rows(format, reader) {
            Ok(rows) => rows,
            Err(HeaderErrorOrIo::Header(h)) => {
                let _ = tx.blocking_send(Msg::Header(h));
                return;
            }
            Err(HeaderErrorOrIo::Io(e)) => {
                let _ = tx.blocking_send(Msg::Io(e));
                return;
            }
        };
        let mut batch = Vec::with_capacity(IMPORT_BATCH);
        for row in rows {
            match row {
                Ok(raw) => batch.push(service::parse_row(&parse_ctx, storable(raw))),
                Err(e) => {
                    if !batch.is_empty() && tx.blocking_send(Msg::Batch(batch)).is_err() {
                        return;
                    }
                    let _ = tx.blocking_send(Msg::Io(e));
                    return;
                }
            }
            if batch.len() == IMPORT_BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(IMPORT_BATCH));
                if tx.blocking_send(Msg::Batch(full)).is_err() {
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(Msg::Batch(batch));
        }
    });
    let mut counts = ImportCounts::default();
    let mut failure = None;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Batch(rows) => {
                match service::import_batch(store.as_ref(), &ctx, mode, rows).await {
                    Ok(report) => {
                        counts.add(report.counts);
                        on_batch(&report);
                    }
                    Err(e) => {
                        failure = Some(ImportFailure::Service(e));
                        break;
                    }
                }
            }
            Msg::Header(h) => {
                failure = Some(ImportFailure::Header(h));
                break;
            }
            Msg::Io(e) => {
                failure = Some(ImportFailure::Io(e));
                break;
            }
        }
    }
    // Dropping the receiver stops the reader at its next batch.
    drop(rx);
    let _ = reading.await;
    match failure {
        Some(f) => Err(f),
        None => Ok(counts),
    }
}

/// A blocking reader over chunks sent from the async side (a request body).
pub struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl ChannelReader {
    pub fn new(rx: mpsc::Receiver<io::Result<Bytes>>) -> Self {
        Self {
            rx,
            current: Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(e),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Every client `query` selects, in creation order, as `format`: one chunk of bytes per page
/// (the CSV header comes with the first). The next page is read (on the store's blocking
/// thread) while the current one is turned into bytes.
pub struct Exporter {
    export: ClientExport,
    csv: Option<CsvWriter>,
    format: Format,
    started: bool,
    /// The page read while the previous chunk was made (`None` before the first).
    ahead: Option<Result<Option<Vec<Client>>, ServiceError>>,
}

impl Exporter {
    pub fn new(query: ClientQuery, format: Format) -> Self {
        Self {
            export: ClientExport::new(query),
            csv: (format == Format::Csv).then(CsvWriter::new),
            format,
            started: false,
            ahead: None,
        }
    }

    /// The next chunk; `None` at the end.
    pub async fn next_chunk(
        &mut self,
        store: &dyn Store,
        tenant: TenantId,
    ) -> Result<Option<Bytes>, ServiceError> {
        let first = !self.started;
        self.started = true;
        let page = match self.ahead.take() {
            Some(page) => page?,
            None => self.export.next_page(store, tenant).await?,
        };
        let Self {
            export,
            csv,
            format,
            ahead,
            ..
        } = self;
        let (next, chunk) = tokio::join!(export.next_page(store, tenant), async {
            render(*format, csv.as_mut(), page.as_deref(), first)
        });
        *ahead = Some(next);
        chunk
    }
}

/// One page (`None`: there are no more) as bytes of `format`; `first` adds the CSV header.
fn render(
    format: Format,
    csv: Option<&mut CsvWriter>,
    page: Option<&[Client]>,
    first: bool,
) -> Result<Option<Bytes>, ServiceError> {
    let internal = |e: io::Error| ServiceError::Internal(e.to_string());
    match (format, csv) {
        (Format::Csv, Some(csv)) => {
            if first {
                csv.header().map_err(internal)?;
            }
            for client in page.into_iter().flatten() {
                let doc = serde_json::to_value(client)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
                csv.client(&doc).map_err(internal)?;
            }
            let bytes = csv.take().map_err(internal)?;
            if page.is_none() && bytes.is_empty() {
                return Ok(None);
            }
            Ok(Some(Bytes::from(bytes)))
        }
        _ => {
            let Some(page) = page else {
                return Ok(None);
            };
            let mut out = Vec::with_capacity(page.len() * 1024);
            for client in page {
                serde_json::to_writer(&mut out, client)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
                out.push(b'\n');
            }
            Ok(Some(Bytes::from(out)))
        }
    }
}

/// A response body fed by a channel.
struct ChannelBody(mpsc::Receiver<io::Result<Bytes>>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|r| r.map(http_body::Frame::data)))
    }
}

/// The export as a streamed response body: a task reads page after page while the client
/// takes them (two pages ahead at most). A failure after the first bytes ends the body
/// early (the client sees a truncated transfer), and is logged.
pub fn export_body(
    store: Arc<dyn Store>,
    tenant: TenantId,
    mut exporter: Exporter,
    first: Option<Bytes>,
) -> Body {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(2);
    tokio::spawn(async move {
        let Some(first) = first else {
            return;
        };
        if tx.send(Ok(first)).await.is_err() {
            return;
        }
        loop {
            match exporter.next_chunk(store.as_ref(), tenant).await {
                Ok(Some(chunk)) => {
                    if tx.send(Ok(chunk)).await.is_err() {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    tracing::error!(error = %clientele_core::mask::mask_text(&e.to_string()), "export stopped");
                    let _ = tx.send(Err(io::Error::other("export failed"))).await;
                    return;
                }
            }
        }
    });
    Body::new(ChannelBody(rx))
}
