//! Bulk import and export (API.md "Bulk import and export"): rows of native documents, each
//! parsed by the rules of `POST /v1/clients` and written in batches, one store transaction per
//! batch; every client the list's filters select, read in keyset pages.
//!
//! A surface reads its body into [`RawRow`]s (`crate::bulk`), parses each with [`parse_row`]
//! (pure, so it may run off the async runtime) and hands batches to [`import_batch`]; a bad row
//! is counted and reported and never stops the others.

use serde::Serialize;
use serde_json::Value;

use super::error::client_err;
use super::with_subs::{parse_docs, NewClientDocs};
use super::{ServiceError, ServiceResult};
use crate::bulk::RawRow;
use crate::client::Client;
use crate::error::FieldError;
use crate::query::{client_field, ClientQuery, SortKey, MAX_PAGE_SIZE};
use crate::store::{ImportMode, ImportOutcome, ImportRow, Store, WriteCtx};
use crate::sub::SubKind;
use crate::tenant::TenantId;

/// Rows written per store transaction.
pub const IMPORT_BATCH: usize = 2000;

/// One problem of one row: API.md's import error (`line` counts from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub code: String,
    pub message: String,
}

impl RowError {
    fn of(line: u64, e: FieldError) -> Self {
        Self {
            line,
            field: e.field,
            code: e.code,
            message: e.message,
        }
    }
}

/// How many rows did what.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
}

impl ImportCounts {
    pub fn add(&mut self, other: ImportCounts) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.failed += other.failed;
    }

    /// Rows read so far.
    pub fn rows(&self) -> u64 {
        self.created + self.updated + self.unchanged + self.failed
    }
}

/// What one batch did: its counts and every error of its failed rows, in row order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchReport {
    pub counts: ImportCounts,
    pub errors: Vec<RowError>,
}

/// A row parsed for the store, or its problems.
pub type ParsedRow = Result<ImportRow, Vec<RowError>>;

/// The field errors of a service error on one row.
fn field_errors(e: ServiceError) -> Vec<FieldError> {
    match e {
        ServiceError::Invalid(details) => details,
        ServiceError::Conflict { what, key } => vec![FieldError::new(
            key.clone(),
            "taken",
            format!("another {what} already has this {key}"),
        )],
        ServiceError::InvalidReference(field) => vec![FieldError::new(
            field,
            "not_found",
            "must be the id of another existing client of this tenant",
        )],
        other => vec![FieldError::new("body", "invalid", other.to_string())],
    }
}

/// Parses one row as `POST /v1/clients` parses its body (the client's fields and its optional
/// `contact_persons`, `locations` and `accounts` arrays).
pub fn parse_row(ctx: &WriteCtx, raw: RawRow) -> ParsedRow {
    let line = raw.line;
    let errors = |es: Vec<FieldError>| -> Vec<RowError> {
        es.into_iter().map(|e| RowError::of(line, e)).collect()
    };
    let doc: Value = raw.doc.map_err(errors)?;
    // An array given (even empty) replaces an upserted client's items of its kind; one left
    // out (or `null`) leaves them.
    let sub_kinds = SubKind::ALL
        .into_iter()
        .filter(|k| doc.get(k.expand_key()).is_some_and(Value::is_array))
        .collect();
    let docs = NewClientDocs::from_document(doc).map_err(|e| errors(field_errors(e)))?;
    let (data, subs) = parse_docs(ctx, &docs).map_err(|e| errors(field_errors(e)))?;
    Ok(ImportRow {
        line,
        data,
        subs,
        sub_kinds,
        created_at: None,
    })
}

/// Writes one batch of parsed rows in one store transaction and counts what happened to every
/// row. Only a store failure of the whole batch (unavailable, a bug) is an error; nothing of the
/// batch is written then.
pub async fn import_batch(
    store: &dyn Store,
    ctx: &WriteCtx,
    mode: ImportMode,
    rows: Vec<ParsedRow>,
) -> ServiceResult<BatchReport> {
    let mut report = BatchReport::default();
    let mut valid = Vec::with_capacity(rows.len());
    for row in rows {
        match row {
            Ok(r) => valid.push(r),
            Err(es) => {
                report.counts.failed += 1;
                report.errors.extend(es);
            }
        }
    }
    if valid.is_empty() {
        report.errors.sort_by_key(|e| e.line);
        return Ok(report);
    }
    let lines: Vec<u64> = valid.iter().map(|r| r.line).collect();
    let outcomes = store
        .import_clients(ctx, mode, valid)
        .await
        .map_err(client_err)?;
    for (line, outcome) in lines.into_iter().zip(outcomes) {
        match outcome {
            ImportOutcome::Created => report.counts.created += 1,
            ImportOutcome::Updated => report.counts.updated += 1,
            ImportOutcome::Unchanged => report.counts.unchanged += 1,
            ImportOutcome::Failed(e) => {
                report.counts.failed += 1;
                let es = field_errors(client_err(e));
                report
                    .errors
                    .extend(es.into_iter().map(|e| RowError::of(line, e)));
            }
        }
    }
    report.errors.sort_by_key(|e| e.line);
    Ok(report)
}

/// Every client a list query selects, in creation order, read one keyset page at a time (so
/// memory stays constant however many there are). The query's paging, sort, `fields` and
/// `expand` are replaced.
pub struct ClientExport {
    query: ClientQuery,
    done: bool,
}

impl ClientExport {
    pub fn new(mut query: ClientQuery) -> Self {
        query.limit = MAX_PAGE_SIZE;
        query.offset = 0;
        query.count = false;
        query.fields = None;
        query.expand = Vec::new();
        query.after = None;
        query.sort = client_field("created_at")
            .map(|field| vec![SortKey { field, desc: false }])
            .unwrap_or_default();
        Self { query, done: false }
    }

    /// The next page; `None` after the last.
    pub async fn next_page(
        &mut self,
        store: &dyn Store,
        tenant: TenantId,
    ) -> ServiceResult<Option<Vec<Client>>> {
        if self.done {
            return Ok(None);
        }
        let page = store
            .list_clients(tenant, &self.query)
            .await
            .map_err(client_err)?;
        match page.next {
            Some(after) => self.query.after = Some(after),
            None => self.done = true,
        }
        if page.items.is_empty() {
            self.done = true;
            return Ok(None);
        }
        Ok(Some(page.items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TenantId;
    use serde_json::json;
    use uuid::Uuid;

    fn ctx() -> WriteCtx {
        WriteCtx::new(TenantId(Uuid::now_v7()), "test")
    }

    #[test]
    fn a_row_parses_with_the_create_rules_and_its_errors_carry_its_line() {
        let ok = parse_row(
            &ctx(),
            RawRow {
                line: 2,
                doc: Ok(json!({"name": "A", "accounts": [{"name": "X"}]})),
            },
        )
        .expect("valid");
        assert_eq!(ok.subs.len(), 1);
        assert_eq!(ok.sub_kinds, vec![SubKind::Account]);
        let empty = parse_row(
            &ctx(),
            RawRow {
                line: 3,
                doc: Ok(json!({"name": "A", "contact_persons": [], "locations": null})),
            },
        )
        .expect("valid");
        assert_eq!(empty.sub_kinds, vec![SubKind::ContactPerson]);
        let bad = parse_row(
            &ctx(),
            RawRow {
                line: 7,
                doc: Ok(json!({"name": "A", "email": "nope", "contact_persons": [{}]})),
            },
        )
        .expect_err("invalid");
        let fields: Vec<(u64, &str)> = bad.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(fields, vec![(7, "email"), (7, "contact_persons.0.name")]);
    }
}
