//! The bulk formats (API.md "Bulk import and export"): NDJSON, one native client document per
//! line, and CSV, a header row of dotted field names (`name`, `address.city`, `credit.limit`)
//! then one client per record (RFC 4180, UTF-8 with or without a BOM).
//!
//! Reading turns a byte stream into numbered rows of native documents ([`RawRow`]), which the
//! service parses and writes exactly as `POST /v1/clients` would (`service::import`). Writing
//! turns clients, as `GET /v1/clients/{id}` shows them, into lines or records.

use std::io::{self, BufRead, BufReader, Read};

use serde_json::{Map, Value};

use crate::error::FieldError;
use crate::query::{canonical_path, client_field, FieldType, CLIENT_FIELDS};

/// A new bulk import's id: a UUID v7 (so ids sort by when their imports started). Every audit
/// record the import writes carries it (`AuditRecord::import_id`), and the import's answer
/// names it, so the records of one import can be told from any other change.
pub fn new_import_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A bulk body's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ndjson,
    Csv,
}

impl Format {
    /// `ndjson` or `csv`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ndjson" => Some(Self::Ndjson),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }

    /// The format a file name's extension names (`.ndjson`, `.jsonl`, `.csv`).
    pub fn from_file_name(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "ndjson" | "jsonl" => Some(Self::Ndjson),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }

    /// The media type of a body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Ndjson => "application/x-ndjson",
            Self::Csv => "text/csv",
        }
    }

    /// The format of a media type (parameters such as `charset` ignored).
    pub fn from_content_type(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or("").trim();
        match essence.to_ascii_lowercase().as_str() {
            "application/x-ndjson" => Some(Self::Ndjson),
            "text/csv" => Some(Self::Csv),
            _ => None,
        }
    }
}

/// One row of a bulk body: its line (from 1; in CSV the header is line 1 and a record counts
/// from the line it starts on) and its native document, or why the row could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    pub line: u64,
    pub doc: Result<Value, Vec<FieldError>>,
}

/// Why a CSV header cannot be read: one error per problem, each on the field `header`.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderError(pub Vec<FieldError>);

fn header_error(code: &str, message: impl Into<String>) -> FieldError {
    FieldError::new("header", code, message)
}

/// The rows of a bulk body, read as they arrive. A CSV header is read (and checked) at once.
pub fn rows<R: Read + Send + 'static>(
    format: Format,
    reader: R,
) -> Result<Box<dyn Iterator<Item = io::Result<RawRow>> + Send>, HeaderErrorOrIo> {
    match format {
        Format::Ndjson => Ok(Box::new(NdjsonRows::new(reader))),
        Format::Csv => Ok(Box::new(CsvRows::new(reader)?)),
    }
}

/// A CSV header that cannot be read, or the body failing before it could be.
#[derive(Debug)]
pub enum HeaderErrorOrIo {
    Header(HeaderError),
    Io(io::Error),
}

impl From<io::Error> for HeaderErrorOrIo {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// NDJSON: one JSON object per line; blank lines are skipped; `\r\n` endings and a leading BOM
/// are accepted; a last line without its newline is read like the others.
pub struct NdjsonRows<R> {
    reader: BufReader<R>,
    line: u64,
    buf: Vec<u8>,
}

impl<R: Read> NdjsonRows<R> {
    pub fn new(reader: R) -> Self {
        Self {
            reader: BufReader::with_capacity(256 * 1024, reader),
            line: 0,
            buf: Vec::with_capacity(4096),
        }
    }
}

fn bad_row(code: &str, message: impl Into<String>) -> Vec<FieldError> {
    vec![FieldError::new("body", code, message)]
}

impl<R: Read> Iterator for NdjsonRows<R> {
    type Item = io::Result<RawRow>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
            self.line += 1;
            let mut bytes: &[u8] = &self.buf;
            if self.line == 1 {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let doc = match serde_json::from_slice::<Value>(bytes) {
                Ok(v @ Value::Object(_)) => Ok(v),
                Ok(other) => Err(bad_row(
                    "invalid_type",
                    format!(
                        "must be a JSON object, not {}",
                        crate::parse::a_type_name(&other)
                    ),
                )),
                Err(e) => Err(bad_row(
                    "invalid_json",
                    format!("is not a JSON object: {e}"),
                )),
            };
            return Some(Ok(RawRow {
                line: self.line,
                doc,
            }));
        }
    }
}

/// How a CSV cell becomes a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellType {
    Text,
    Number,
    Bool,
    /// The `metadata` object as JSON text.
    Json,
    /// A read-only field (`id`, `number`, `credit.available`, ...): accepted and ignored.
    Ignored,
}

#[derive(Debug, Clone)]
struct Column {
    path: Vec<String>,
    ty: CellType,
}

/// Read-only fields the export writes and the import accepts and ignores.
const READ_ONLY_COLUMNS: &[&str] = &[
    "id",
    "number",
    "credit.available",
    "associated_accounts",
    "version",
    "created_at",
    "updated_at",
];

fn column(name: &str) -> Option<Column> {
    if READ_ONLY_COLUMNS.contains(&name) {
        return Some(Column {
            path: Vec::new(),
            ty: CellType::Ignored,
        });
    }
    let path = canonical_path(name);
    let ty = if path == "metadata" {
        CellType::Json
    } else if let Some(key) = path.strip_prefix("metadata.") {
        if key.is_empty() {
            return None;
        }
        CellType::Text
    } else {
        match client_field(path)?.ty {
            FieldType::Int | FieldType::Money | FieldType::Float => CellType::Number,
            FieldType::Bool => CellType::Bool,
            _ => CellType::Text,
        }
    };
    let path = match path.strip_prefix("metadata.") {
        Some(key) => vec!["metadata".to_string(), key.to_string()],
        None => path.split('.').map(str::to_string).collect(),
    };
    Some(Column { path, ty })
}

/// Reads the header row: every name must be a client field's dotted path (or `metadata`,
/// `metadata.KEY`, or a read-only field, which is ignored), each at most once.
fn read_header(names: &[String]) -> Result<Vec<Column>, HeaderError> {
    let mut errors = Vec::new();
    let mut columns = Vec::with_capacity(names.len());
    for (i, raw) in names.iter().enumerate() {
        let name = raw.trim();
        let name = if i == 0 {
            name.trim_start_matches('\u{feff}')
        } else {
            name
        };
        if names[..i].iter().any(|n| n.trim() == name) {
            errors.push(header_error(
                "duplicate",
                format!("column {name:?} is named more than once"),
            ));
        }
        match column(name) {
            Some(c) => columns.push(c),
            None => errors.push(header_error(
                "unknown_field",
                format!("column {} ({name:?}) is not a client field", i + 1),
            )),
        }
    }
    if errors.is_empty() && !columns.iter().any(|c| c.ty != CellType::Ignored) {
        errors.push(header_error(
            "required",
            "must name at least one writable client field",
        ));
    }
    if errors.is_empty() {
        Ok(columns)
    } else {
        Err(HeaderError(errors))
    }
}

fn cell_value(ty: CellType, cell: &str) -> Value {
    match ty {
        CellType::Number => match serde_json::from_str::<Value>(cell.trim()) {
            Ok(n @ Value::Number(_)) => n,
            _ => Value::String(cell.to_string()),
        },
        CellType::Bool => match cell.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(cell.to_string()),
        },
        CellType::Json => serde_json::from_str(cell).unwrap_or_else(|_| cell.into()),
        CellType::Text | CellType::Ignored => Value::String(cell.to_string()),
    }
}

fn insert_at(doc: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            doc.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let slot = doc
                .entry(first.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = slot {
                insert_at(inner, rest, value);
            }
        }
    }
}

/// CSV: the header row, then one client per record. An empty cell leaves its field out (its
/// default).
pub struct CsvRows<R> {
    reader: csv::Reader<R>,
    columns: Vec<Column>,
    record: csv::StringRecord,
    /// The line the next record starts on: one line per record plus the line breaks inside its
    /// quoted fields (the reader's own count is off by them, and by a CRLF's half).
    next_line: u64,
}

impl<R: Read> CsvRows<R> {
    /// Reads and checks the header row.
    pub fn new(reader: R) -> Result<Self, HeaderErrorOrIo> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(256 * 1024)
            .from_reader(reader);
        let mut header = csv::StringRecord::new();
        let columns = match reader.read_record(&mut header) {
            Ok(true) => {
                let names: Vec<String> = header.iter().map(str::to_string).collect();
                read_header(&names).map_err(HeaderErrorOrIo::Header)?
            }
            Ok(false) => {
                return Err(HeaderErrorOrIo::Header(HeaderError(vec![header_error(
                    "required",
                    "the CSV body has no header row",
                )])))
            }
            Err(e) => match e.into_kind() {
                csv::ErrorKind::Io(io) => return Err(HeaderErrorOrIo::Io(io)),
                other => {
                    return Err(HeaderErrorOrIo::Header(HeaderError(vec![header_error(
                        "invalid_format",
                        format!("cannot be read: {}", csv_message(&other)),
                    )])))
                }
            },
        };
        Ok(Self {
            reader,
            next_line: 2 + breaks(&header),
            columns,
            record: csv::StringRecord::new(),
        })
    }
}

/// Line breaks inside a record's (quoted) fields.
fn breaks(record: &csv::StringRecord) -> u64 {
    record.iter().map(|f| f.matches('\n').count() as u64).sum()
}

fn csv_message(kind: &csv::ErrorKind) -> String {
    match kind {
        csv::ErrorKind::Utf8 { .. } => "it is not valid UTF-8".into(),
        csv::ErrorKind::UnequalLengths { .. } => "unequal record lengths".into(),
        _ => "malformed CSV".into(),
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = io::Result<RawRow>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.next_line;
                self.next_line += 1 + breaks(&self.record);
                if self.record.len() != self.columns.len() {
                    return Some(Ok(RawRow {
                        line,
                        doc: Err(bad_row(
                            "invalid_format",
                            format!(
                                "has {} fields; the header has {}",
                                self.record.len(),
                                self.columns.len()
                            ),
                        )),
                    }));
                }
                let mut doc = Map::new();
                for (col, cell) in self.columns.iter().zip(self.record.iter()) {
                    if cell.is_empty() || col.ty == CellType::Ignored {
                        continue;
                    }
                    insert_at(&mut doc, &col.path, cell_value(col.ty, cell));
                }
                Some(Ok(RawRow {
                    line,
                    doc: Ok(Value::Object(doc)),
                }))
            }
            Err(e) => {
                let line = self.next_line;
                self.next_line += 1;
                match e.into_kind() {
                    csv::ErrorKind::Io(io) => Some(Err(io)),
                    other => Some(Ok(RawRow {
                        line,
                        doc: Err(bad_row("invalid_format", csv_message(&other))),
                    })),
                }
            }
        }
    }
}

/// The columns of an exported CSV, in document order: every field of a client as
/// `GET /v1/clients/{id}` shows it, `metadata` as one column of JSON text.
pub fn csv_columns() -> Vec<&'static str> {
    let mut out = Vec::with_capacity(CLIENT_FIELDS.len() + 2);
    for f in CLIENT_FIELDS {
        out.push(f.path);
        match f.path {
            "credit.used" => out.push("credit.available"),
            "structure_id" => out.push("metadata"),
            _ => {}
        }
    }
    out
}

fn at_path<'a>(doc: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(doc, |v, k| v.get(k).unwrap_or(&Value::Null))
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Object(m) if m.is_empty() => String::new(),
        other => other.to_string(),
    }
}

/// Writes exported clients as CSV: the header once, then one record per client document.
pub struct CsvWriter {
    writer: csv::Writer<Vec<u8>>,
    columns: Vec<&'static str>,
}

impl Default for CsvWriter {
    fn default() -> Self {
        Self::new()
    }
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(64 * 1024))
}

impl CsvWriter {
    pub fn new() -> Self {
        Self {
            writer: csv_writer(),
            columns: csv_columns(),
        }
    }

    /// The header row.
    pub fn header(&mut self) -> io::Result<()> {
        self.writer
            .write_record(&self.columns)
            .map_err(io::Error::other)
    }

    /// One client, as `GET /v1/clients/{id}` shows its `data`.
    pub fn client(&mut self, doc: &Value) -> io::Result<()> {
        for path in &self.columns {
            self.writer
                .write_field(cell_text(at_path(doc, path)))
                .map_err(io::Error::other)?;
        }
        self.writer
            .write_record(None::<&[u8]>)
            .map_err(io::Error::other)
    }

    /// The bytes written since the last call.
    pub fn take(&mut self) -> io::Result<Vec<u8>> {
        std::mem::replace(&mut self.writer, csv_writer())
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_all(format: Format, text: &str) -> Vec<RawRow> {
        let rows = rows(format, io::Cursor::new(text.as_bytes().to_vec())).expect("header");
        rows.map(|r| r.expect("io")).collect()
    }

    #[test]
    fn ndjson_rows_count_lines_skip_blanks_and_report_bad_ones() {
        let rows = read_all(
            Format::Ndjson,
            "\u{feff}{\"name\":\"A\"}\r\n\n[1]\n{\"name\":\"B\"}\n{\"name\":",
        );
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].line, 1);
        assert_eq!(rows[0].doc, Ok(json!({"name": "A"})));
        assert_eq!(rows[1].line, 3);
        assert_eq!(
            rows[1].doc.as_ref().expect_err("array")[0].code,
            "invalid_type"
        );
        assert_eq!(rows[2].line, 4);
        assert_eq!(rows[3].line, 5);
        assert_eq!(
            rows[3].doc.as_ref().expect_err("cut")[0].code,
            "invalid_json"
        );
    }

    #[test]
    fn csv_rows_become_nested_documents_with_typed_cells() {
        let text =
            "\u{feff}name,address.city,credit.limit,credit.currency,archived,metadata.k,id\r\n\
                    \"Åsa, \"\"Ltd\"\"\",Malmö,1500.50,SEK,true,v,ignored\r\n\
                    \"multi\nline\",,,,,,\r\n\
                    short,row\r\n";
        let rows = read_all(Format::Csv, text);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].line, 2);
        let expected: Value = serde_json::from_str(
            r#"{"name": "Åsa, \"Ltd\"", "address": {"city": "Malmö"},
                "credit": {"limit": 1500.50, "currency": "SEK"}, "archived": true,
                "metadata": {"k": "v"}}"#,
        )
        .expect("json");
        assert_eq!(rows[0].doc, Ok(expected));
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].doc, Ok(json!({"name": "multi\nline"})));
        assert_eq!(rows[2].line, 5);
        assert!(rows[2].doc.is_err());
    }

    #[test]
    fn a_csv_header_must_name_client_fields_once() {
        let err = |text: &str| match rows(Format::Csv, io::Cursor::new(text.as_bytes().to_vec())) {
            Err(HeaderErrorOrIo::Header(HeaderError(e))) => e,
            _ => panic!("accepted {text:?}"),
        };
        assert_eq!(err("name,nmae\n")[0].code, "unknown_field");
        assert_eq!(err("name,name\n")[0].code, "duplicate");
        assert_eq!(err("")[0].code, "required");
        assert_eq!(err("id,version\n")[0].field, "header");
    }

    #[test]
    fn exported_csv_reads_back_as_the_same_document() {
        let doc = json!({"id": "x", "name": "Ærø \"A\", B", "address": {"city": "Oslo"},
                         "credit": {"limit": 10.5, "currency": "NOK"}, "metadata": {"a": "b"},
                         "archived": false});
        let mut w = CsvWriter::new();
        w.header().expect("header");
        w.client(&doc).expect("row");
        let bytes = w.take().expect("bytes");
        let rows = read_all(Format::Csv, std::str::from_utf8(&bytes).expect("utf8"));
        assert_eq!(
            rows[0].doc,
            Ok(
                json!({"name": "Ærø \"A\", B", "archived": false, "address": {"city": "Oslo"},
                      "credit": {"limit": 10.5, "currency": "NOK"}, "metadata": {"a": "b"}})
            )
        );
    }
}
