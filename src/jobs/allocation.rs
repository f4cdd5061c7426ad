//! The allocation poller: a safety net for GOT_RESOURCE events that never arrive.
//!
//! Every submitted order is appended to [`ALLOCATION_STREAM`]. This worker takes delivery
//! of those entries and leaves them unacknowledged; once an entry has been idle for the
//! poll delay it is claimed again, and if the order still has no profiles the supplier is
//! asked directly. The stream's own idle timer is the schedule, so no extra state is kept
//! and any process can take over the polling of a process that died.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::orders::{ALLOCATION_STREAM, OrderService};
use crate::store::{Store, StoreError, StreamEntry};

const GROUP: &str = "allocation-poller";
/// Polls per order before giving up and asking a person to look.
const MAX_POLLS: i64 = 120;

pub struct AllocationPoller {
    pub store: Arc<dyn Store>,
    pub orders: Arc<OrderService>,
    pub consumer: String,
}

impl AllocationPoller {
    pub async fn run(self, shutdown: CancellationToken) {
        let poll_after = self.orders.allocation_poll_after();
        while let Err(error) = self
            .store
            .stream_ensure_group(ALLOCATION_STREAM, GROUP)
            .await
        {
            tracing::warn!(%error, "allocation stream not ready, retrying");
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = super::pause_after_store_error() => {}
            }
        }
        while !shutdown.is_cancelled() {
            let step = tokio::select! {
                () = shutdown.cancelled() => return,
                step = self.step(poll_after) => step,
            };
            if let Err(error) = step {
                tracing::warn!(%error, "allocation poller could not read its stream");
                super::pause_after_store_error().await;
                super::recreate_group(self.store.as_ref(), ALLOCATION_STREAM, GROUP).await;
            }
        }
    }

    async fn step(&self, poll_after: Duration) -> Result<(), StoreError> {
        // Taking delivery starts each new entry's idle timer; nothing is done with it yet.
        let wait = poll_after.min(Duration::from_secs(1));
        self.store
            .stream_read(ALLOCATION_STREAM, GROUP, &self.consumer, 100, wait)
            .await?;

        let due = self
            .store
            .stream_claim_idle(ALLOCATION_STREAM, GROUP, &self.consumer, poll_after, 20)
            .await?;
        for entry in due {
            self.poll(entry).await?;
        }
        Ok(())
    }

    async fn poll(&self, entry: StreamEntry) -> Result<(), StoreError> {
        let id = String::from_utf8_lossy(&entry.payload).into_owned();
        let done = match self.orders.poll_allocation(&id).await {
            Ok(done) => done,
            Err(error) => {
                tracing::warn!(%error, "allocation poll failed, will poll again");
                false
            }
        };
        let polls = self
            .store
            .increment(
                &format!("polls:{}", entry.id),
                Some(Duration::from_secs(7 * 24 * 3600)),
            )
            .await?;
        if done || polls >= MAX_POLLS {
            if !done {
                tracing::error!(
                    polls,
                    "order still has no profiles after many polls; needs a person"
                );
            }
            self.store
                .stream_ack(ALLOCATION_STREAM, GROUP, std::slice::from_ref(&entry.id))
                .await?;
        }
        Ok(())
    }
}
