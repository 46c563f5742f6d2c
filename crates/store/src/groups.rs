//! Concurrent creates of one tenant committed together (PostgreSQL): a group commit like SQLite's
//! writer, with several groups of a tenant in flight at once.
//!
//! A create joins its tenant's queue, then waits for one of the tenant's slots. Whoever gets a
//! slot takes everything queued by then (its own create, unless an earlier holder took it
//! already) and writes it as one transaction (`rules::clients::CreateGroup`): one number draw,
//! one multi-row insert each of the clients, their search words and their audit records, one
//! commit: a handful of round trips and statements for the whole group instead of as many per
//! create. With a slot free a create runs at once and alone, so a quiet tenant waits for nobody;
//! while every slot is busy, the creates that arrive form the next group.
//!
//! A group runs in a task of its own, so a request that goes away (its client disconnected, its
//! time ran out) does not cut off the others' transaction; a create whose request went away
//! before a group took it is not written. Every create of a group gets the
//! group's outcome, except when the group failed in a way that certainly left nothing behind
//! (anything but `Unavailable`, whose commit may have happened): then each of its creates runs
//! again on its own, so that one create's refusal fails no other.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use clientele_core::store::StoreResult;
use clientele_core::{Client, ClientData, StoreError, TenantId, WriteCtx};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::engine::Backend;
use crate::metrics;
use crate::rules::clients::CreateGroup;

/// Creates taken into one group at most.
const MAX_GROUP: usize = 64;

/// The tenants' queues of creates.
pub(crate) struct CreateGroups {
    /// Groups of one tenant in flight at once.
    slots: usize,
    tenants: Mutex<HashMap<TenantId, Arc<Queue>>>,
}

struct Queue {
    waiting: Mutex<VecDeque<Waiting>>,
    slots: Arc<Semaphore>,
}

struct Waiting {
    ctx: WriteCtx,
    data: ClientData,
    answer: oneshot::Sender<StoreResult<Client>>,
}

impl Queue {
    fn waiting(&self) -> MutexGuard<'_, VecDeque<Waiting>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl CreateGroups {
    /// At most `slots` groups of one tenant in flight at once.
    pub(crate) fn new(slots: usize) -> Self {
        Self {
            slots: slots.max(1),
            tenants: Mutex::new(HashMap::new()),
        }
    }

    fn queue(&self, tenant: TenantId) -> Arc<Queue> {
        let mut tenants = self.tenants.lock().unwrap_or_else(PoisonError::into_inner);
        let queue = tenants.entry(tenant).or_insert_with(|| {
            Arc::new(Queue {
                waiting: Mutex::new(VecDeque::new()),
                slots: Arc::new(Semaphore::new(self.slots)),
            })
        });
        Arc::clone(queue)
    }

    /// Creates the client, in one transaction with whatever other creates of its tenant are
    /// waiting when it gets a slot.
    pub(crate) async fn create<B: Backend>(
        &self,
        backend: &Arc<B>,
        ctx: WriteCtx,
        data: ClientData,
    ) -> StoreResult<Client> {
        let queue = self.queue(ctx.tenant);
        let (answer, mut answered) = oneshot::channel();
        queue.waiting().push_back(Waiting { ctx, data, answer });
        // Every round writes at least one waiting create while ours is unanswered (ours, or one
        // queued before it), so this ends within the length of the queue ahead of ours.
        loop {
            let slot = tokio::select! {
                biased;
                result = &mut answered => return result.unwrap_or_else(|_| Err(lost())),
                slot = Arc::clone(&queue.slots).acquire_owned() => {
                    slot.map_err(|_| StoreError::Other("create queue closed".into()))?
                }
            };
            let taken: Vec<Waiting> = {
                let mut waiting = queue.waiting();
                let mut taken = Vec::new();
                while taken.len() < MAX_GROUP {
                    let Some(w) = waiting.pop_front() else {
                        break;
                    };
                    // A create whose request went away (nobody awaits its answer) is not
                    // written: it could otherwise wait for the tenant's next create, hours on.
                    if !w.answer.is_closed() {
                        taken.push(w);
                    }
                }
                taken
            };
            if taken.is_empty() {
                // Ours was taken into a group that is being written: its answer will come.
                drop(slot);
                return answered.await.unwrap_or_else(|_| Err(lost()));
            }
            let group = tokio::spawn(write(Arc::clone(backend), slot, taken));
            tokio::select! {
                result = &mut answered => return result.unwrap_or_else(|_| Err(lost())),
                _ = group => {}
            }
        }
    }
}

/// The group's task ended without answering (it panicked): its outcome is unknown.
fn lost() -> StoreError {
    StoreError::Unavailable("a create's transaction ended without an answer".into())
}

/// Writes one group, holding its slot, and answers each of its creates.
async fn write<B: Backend>(backend: Arc<B>, _slot: OwnedSemaphorePermit, taken: Vec<Waiting>) {
    let items = taken
        .iter()
        .map(|w| (w.ctx.clone(), w.data.clone()))
        .collect();
    match run(&*backend, items).await {
        Ok(clients) if clients.len() == taken.len() => {
            for (w, c) in taken.into_iter().zip(clients) {
                let _ = w.answer.send(Ok(c));
            }
        }
        Ok(_) => {
            let e = StoreError::Other("a group of creates made another number of clients".into());
            for w in taken {
                let _ = w.answer.send(Err(e.clone()));
            }
        }
        // Alone, or the commit may have happened: nobody is told otherwise, nothing is written
        // twice.
        Err(e) if taken.len() == 1 || matches!(e, StoreError::Unavailable(_)) => {
            for w in taken {
                let _ = w.answer.send(Err(e.clone()));
            }
        }
        // Rolled back: each create on its own, so that one refusal fails no other.
        Err(_) => {
            for w in taken {
                let one = vec![(w.ctx, w.data)];
                let result = run(&*backend, one).await.and_then(|mut c| {
                    c.pop()
                        .ok_or_else(|| StoreError::Other("a create made no client".into()))
                });
                let _ = w.answer.send(result);
            }
        }
    }
}

async fn run<B: Backend>(
    backend: &B,
    items: Vec<(WriteCtx, ClientData)>,
) -> StoreResult<Vec<Client>> {
    metrics::observed::<CreateGroup, _>("write", backend.write(CreateGroup { items })).await
}
