//! A client created together with its contact persons, locations and accounts, in one store
//! transaction: seed 002's client with its primary location, seed 004's client with its
//! `contactPersons`, a bulk-import row with its arrays.

use std::collections::HashMap;

use serde_json::Value;

use super::error::client_err;
use super::{fill_currency, ServiceError, ServiceResult};
use crate::client::ClientData;
use crate::error::FieldError;
use crate::store::{ClientWithSubs, Store, WriteCtx};
use crate::sub::{SubData, SubKind};

/// Native documents of a new client and of its sub-resources, each kind in the order it is to
/// be created.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewClientDocs {
    /// The client's document, as `create_client` takes it.
    pub client: Value,
    pub contact_persons: Vec<Value>,
    pub locations: Vec<Value>,
    pub accounts: Vec<Value>,
}

impl NewClientDocs {
    /// A client alone.
    pub fn client(client: Value) -> Self {
        Self {
            client,
            ..Self::default()
        }
    }

    /// The documents of `kind`.
    pub fn of_kind(&self, kind: SubKind) -> &[Value] {
        match kind {
            SubKind::ContactPerson => &self.contact_persons,
            SubKind::Location => &self.locations,
            SubKind::Account => &self.accounts,
        }
    }

    fn of_kind_mut(&mut self, kind: SubKind) -> &mut Vec<Value> {
        match kind {
            SubKind::ContactPerson => &mut self.contact_persons,
            SubKind::Location => &mut self.locations,
            SubKind::Account => &mut self.accounts,
        }
    }

    /// Splits one native document holding the client's fields and, optionally, arrays
    /// `contact_persons`, `locations` and `accounts` of sub-resource documents (a bulk-import
    /// row). An array key that holds anything but an array (or `null`) is a validation error
    /// on that key.
    pub fn from_document(mut doc: Value) -> ServiceResult<Self> {
        let mut out = Self::default();
        let mut errors = Vec::new();
        if let Some(obj) = doc.as_object_mut() {
            for kind in SubKind::ALL {
                match obj.remove(kind.expand_key()) {
                    None | Some(Value::Null) => {}
                    Some(Value::Array(items)) => *out.of_kind_mut(kind) = items,
                    Some(other) => errors.push(FieldError::new(
                        kind.expand_key(),
                        "invalid_type",
                        format!(
                            "must be an array, not {}",
                            crate::parse::a_type_name(&other)
                        ),
                    )),
                }
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        out.client = doc;
        Ok(out)
    }
}

/// `field` of the item at `index` of `kind`: `contact_persons.0.email`; an error on the whole
/// item (`body`) is named by the item itself, `contact_persons.0`.
fn item_path(kind: SubKind, index: usize, field: &str) -> String {
    let item = format!("{}.{index}", kind.expand_key());
    if field == "body" || field.is_empty() {
        item
    } else {
        format!("{item}.{field}")
    }
}

/// Contact persons' external ids must differ within the client, so within one request too.
fn duplicate_external_ids(subs: &[(usize, SubData)], errors: &mut Vec<FieldError>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (index, data) in subs {
        let Some(ext) = data.external_id() else {
            continue;
        };
        if let Some(first) = seen.get(ext) {
            errors.push(FieldError::new(
                item_path(data.kind(), *index, "external_id"),
                "duplicate",
                format!(
                    "must differ from the external_id of {}",
                    item_path(data.kind(), *first, "")
                ),
            ));
        } else {
            seen.insert(ext, *index);
        }
    }
}

/// Creates a client and its sub-resources in one store transaction, with every rule of the
/// one-by-one creates (see [`Store::create_client_with_subs`]); any failure creates nothing.
///
/// Every document is parsed before anything is written, and every problem of every document is
/// reported at once: the client's fields by their own paths (`credit.currency`), the
/// sub-resources' prefixed by where they came from (`contact_persons.0.email`,
/// `locations.1.address.region`), so that a surface can rename them to its own spelling.
/// With `ctx.fill_currency` set, the client's document gets the currency rule first.
pub async fn create_client_with_subs(
    store: &dyn Store,
    ctx: &WriteCtx,
    docs: &NewClientDocs,
) -> ServiceResult<ClientWithSubs> {
    let (client, subs) = parse_docs(ctx, docs)?;
    store
        .create_client_with_subs(ctx, client, subs)
        .await
        .map_err(client_err)
}

/// Parses a new client's documents as [`create_client_with_subs`] does, reporting every
/// problem of every document at once (a bulk-import row is parsed by this too).
pub(crate) fn parse_docs(
    ctx: &WriteCtx,
    docs: &NewClientDocs,
) -> ServiceResult<(ClientData, Vec<SubData>)> {
    let mut errors = Vec::new();
    let client_doc = fill_currency(ctx, &docs.client);
    let client = match ClientData::from_json(&client_doc) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let mut subs = Vec::new();
    for kind in SubKind::ALL {
        let mut parsed = Vec::new();
        for (index, doc) in docs.of_kind(kind).iter().enumerate() {
            match SubData::from_json(kind, doc) {
                Ok(d) => parsed.push((index, d)),
                Err(e) => errors.extend(e.into_iter().map(|f| FieldError {
                    field: item_path(kind, index, &f.field),
                    ..f
                })),
            }
        }
        duplicate_external_ids(&parsed, &mut errors);
        subs.extend(parsed.into_iter().map(|(_, d)| d));
    }
    match client.filter(|_| errors.is_empty()) {
        Some(client) => Ok((client, subs)),
        None => Err(ServiceError::Invalid(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_row_splits_into_the_client_and_its_items() {
        let row = json!({"name": "A", "contact_persons": [{"name": "Eva"}], "locations": null,
                         "accounts": [{"name": "X"}, {"name": "Y"}]});
        let docs = NewClientDocs::from_document(row).expect("valid");
        assert_eq!(docs.client, json!({"name": "A"}));
        assert_eq!(docs.contact_persons, vec![json!({"name": "Eva"})]);
        assert!(docs.locations.is_empty());
        assert_eq!(docs.accounts.len(), 2);
        let e = NewClientDocs::from_document(json!({"name": "A", "locations": {"name": "HQ"}}))
            .expect_err("not an array");
        match e {
            ServiceError::Invalid(d) => {
                assert_eq!(d[0].field, "locations");
                assert_eq!(d[0].code, "invalid_type");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn item_errors_are_named_by_where_the_item_came_from() {
        assert_eq!(
            item_path(SubKind::ContactPerson, 0, "email"),
            "contact_persons.0.email"
        );
        assert_eq!(
            item_path(SubKind::Location, 2, "address.region"),
            "locations.2.address.region"
        );
        assert_eq!(item_path(SubKind::Account, 1, "body"), "accounts.1");
    }
}
