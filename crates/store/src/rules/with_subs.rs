//! A client created with its sub-resources in one transaction: the rules of `clients::Create`
//! and `subresources::Create` at once, settled before anything is written so that every entity
//! is written (and audited) once.

use clientele_core::store::{ClientWithSubs, StoreResult};
use clientele_core::sub::{SubData, SubKind, SubResource};
use clientele_core::types::Timestamp;
use clientele_core::{Client, ClientData, StoreError, TenantId, WriteCtx};
use uuid::Uuid;

use super::{clients, idempotency, search, subresources};
use crate::db::{Tx, Write};
use crate::statements as sql;

/// The one-per-client flags as one-by-one creates in this order would leave them: an item
/// created with its flag raised takes it from the items before it, and the first item of a
/// kind takes it when no item raises it. So the last item that raises it holds it, else the
/// first.
pub fn settle_flags(subs: &mut [SubData]) {
    for kind in SubKind::ALL {
        let of_kind: Vec<usize> = (0..subs.len())
            .filter(|&i| subs[i].kind() == kind && subs[i].flag().is_some())
            .collect();
        let holder = of_kind
            .iter()
            .rev()
            .find(|&&i| subs[i].flag() == Some(true))
            .or(of_kind.first())
            .copied();
        for i in of_kind {
            subs[i].set_flag(Some(i) == holder);
        }
    }
}

/// Creates the sub-resources of a client created in this transaction, in the order given
/// (their ids ascend), with their flags settled, one audit record each, the client's
/// `associated_accounts`, and its search document with its contact persons.
pub(super) async fn add_subs<X: Tx>(
    tx: &X,
    ctx: &WriteCtx,
    client: &mut Client,
    mut subs: Vec<SubData>,
) -> StoreResult<Vec<SubResource>> {
    let at = client.created_at;
    settle_flags(&mut subs);
    let mut created = Vec::with_capacity(subs.len());
    for data in subs {
        let id = Uuid::now_v7();
        subresources::insert_recorded(tx, ctx, client.id, id, at, &data).await?;
        created.push(SubResource {
            id,
            client_id: client.id,
            data,
            created_at: at,
            updated_at: at,
            version: 1,
        });
    }
    let accounts = created
        .iter()
        .filter(|s| s.data.kind() == SubKind::Account)
        .count() as i64;
    if accounts > 0 {
        tx.exec(&sql::set_associated_accounts(
            ctx.tenant, client.id, accounts,
        ))
        .await?;
        client.associated_accounts = accounts;
    }
    if created
        .iter()
        .any(|s| s.data.kind() == SubKind::ContactPerson)
    {
        // The new client was indexed with its own fields; its contact persons join them.
        search::index(tx, ctx.tenant, client.id, &client.data).await?;
    }
    Ok(created)
}

/// `Store::create_client_with_subs`.
pub struct CreateWithSubs {
    pub ctx: WriteCtx,
    pub data: ClientData,
    pub subs: Vec<SubData>,
}

impl Write for CreateWithSubs {
    type Output = ClientWithSubs;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.ctx.tenant)
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<ClientWithSubs> {
        let ctx = &self.ctx;
        let mut client = clients::insert(tx, ctx, vec![(self.data.clone(), Timestamp::now())])
            .await?
            .pop()
            .ok_or_else(|| StoreError::Other("the insert returned no client".into()))?;
        let created = add_subs(tx, ctx, &mut client, self.subs.clone()).await?;
        idempotency::commit(tx, ctx, "client", client.id, 201).await?;
        Ok(ClientWithSubs {
            client,
            subs: created,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contact(main: bool) -> SubData {
        SubData::from_json(
            SubKind::ContactPerson,
            &json!({"name": "C", "is_main": main}),
        )
        .expect("valid")
    }

    fn location(primary: bool) -> SubData {
        SubData::from_json(
            SubKind::Location,
            &json!({"name": "L", "is_primary": primary}),
        )
        .expect("valid")
    }

    fn flags(subs: &[SubData]) -> Vec<Option<bool>> {
        subs.iter().map(SubData::flag).collect()
    }

    #[test]
    fn the_last_raised_flag_of_each_kind_wins_else_the_first_item_takes_it() {
        let account = SubData::from_json(SubKind::Account, &json!({"name": "A"})).expect("valid");
        let mut subs = vec![
            contact(false),
            location(true),
            contact(true),
            account,
            location(false),
            contact(true),
            contact(false),
        ];
        settle_flags(&mut subs);
        assert_eq!(
            flags(&subs),
            vec![
                Some(false),
                Some(true),
                Some(false),
                None,
                Some(false),
                Some(true),
                Some(false)
            ]
        );
        let mut subs = vec![location(false), location(false)];
        settle_flags(&mut subs);
        assert_eq!(flags(&subs), vec![Some(true), Some(false)]);
        let mut none: Vec<SubData> = Vec::new();
        settle_flags(&mut none);
    }
}
