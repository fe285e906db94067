//! Other processes' PutEvents (a store shared by replicas, `crate::replicas`): their put chunks
//! are read after the newest one read and folded in, skipping this process's own.

use std::sync::atomic::Ordering;

use reko_dataset::RecordBatch;

use super::{replay, LiveState};
use crate::error::ServiceResult;
use crate::Reko;

impl LiveState {
    /// Says whether other processes append put chunks to the store (see [`Self::catch_up`]).
    pub(crate) fn set_shared(&self, shared: bool) {
        self.shared.store(shared, Ordering::Relaxed);
    }

    /// The groups loaded now.
    pub(crate) fn loaded_groups(&self) -> Vec<String> {
        // Listed first: no group is locked while the map is.
        let groups: Vec<_> = self.groups.read().unwrap_or_else(|p| p.into_inner()).clone().into_iter().collect();
        groups
            .into_iter()
            .filter(|(_, g)| g.state.lock().unwrap_or_else(|p| p.into_inner()).state.is_some())
            .map(|(arn, _)| arn)
            .collect()
    }

    /// The group's `loaded_seq`; `None` while the group is not loaded.
    fn loaded_seq(&self, dataset_group_arn: &str) -> Option<i64> {
        let group = self.groups.read().unwrap_or_else(|p| p.into_inner()).get(dataset_group_arn)?.clone();
        let slot = group.state.lock().unwrap_or_else(|p| p.into_inner());
        slot.state.as_ref().map(|s| s.loaded_seq)
    }

    /// Folds in the put chunks of the group's Interactions dataset stored after the newest one
    /// read, except this process's own (applied when put): other processes' events. A group not
    /// loaded is left alone (its load reads them).
    pub(crate) fn catch_up(&self, reko: &Reko, dataset_group_arn: &str, dataset_arn: &str) -> ServiceResult<()> {
        let Some(after) = self.loaded_seq(dataset_group_arn) else { return Ok(()) };
        // Read without holding the group: requests go on meanwhile.
        let chunks = reko.store().read_records_after(dataset_arn, reko_storage::RecordSource::Put, after)?;
        let Some(newest) = chunks.last().map(|c| c.seq) else { return Ok(()) };
        let sealer = reko.sealer_in_group(dataset_group_arn, dataset_arn)?;
        let max = self.max;
        self.with_group(reko, dataset_group_arn, |g| {
            for chunk in chunks {
                if chunk.seq <= g.loaded_seq || g.own.contains(&chunk.seq) {
                    continue;
                }
                match sealer.open(chunk.data).map(|data| RecordBatch::decode(&data)) {
                    Ok(Ok(batch)) => replay(g, &batch, chunk.seq, max),
                    _ => tracing::error!(seq = chunk.seq, "a stored put chunk does not decode; its events are skipped"),
                }
            }
            g.loaded_seq = g.loaded_seq.max(newest);
            g.own = g.own.split_off(&(g.loaded_seq + 1));
        })
    }
}
