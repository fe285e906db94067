//! Concurrent scoring requests combined into one pass over the item factors.

use super::*;

/// Most vectors scored in one batch.
pub(super) const MAX_BATCH: usize = 32;

/// Combines concurrent scoring requests: scoring one vector against the whole catalogue is
/// bound by reading the item factors (25.6 MB at 100k items and 64 factors), so requests that
/// arrive together are scored in one pass. The first request to find no batch running leads:
/// it takes everything queued, scores it, hands out the results and leads again while requests
/// are waiting; the others sleep until their result is there. An idle server scores a lone
/// request at once.
#[derive(Default)]
pub(crate) struct ScoreBatcher {
    state: std::sync::Mutex<BatchState>,
    done: std::sync::Condvar,
}

#[derive(Default)]
pub(super) struct BatchState {
    pub(super) next_ticket: u64,
    pub(super) pending: Vec<(u64, Vec<f32>)>,
    pub(super) results: HashMap<u64, Vec<f32>>,
    pub(super) leading: bool,
}

impl ScoreBatcher {
    pub(super) fn scores(&self, v: &[f32], score: impl Fn(&[Vec<f32>]) -> Vec<Vec<f32>>) -> Vec<f32> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        st.pending.push((ticket, v.to_vec()));
        loop {
            if let Some(r) = st.results.remove(&ticket) {
                return r;
            }
            if st.leading {
                st = self.done.wait(st).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            st.leading = true;
            let take = st.pending.len().min(MAX_BATCH);
            let batch: Vec<(u64, Vec<f32>)> = st.pending.drain(..take).collect();
            drop(st);
            let vectors: Vec<Vec<f32>> = batch.iter().map(|(_, v)| v.clone()).collect();
            // A panic while scoring must not leave the followers waiting forever.
            let outs = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| score(&vectors)));
            st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            st.leading = false;
            match outs {
                Ok(outs) => {
                    for ((t, _), o) in batch.into_iter().zip(outs) {
                        st.results.insert(t, o);
                    }
                }
                Err(panic) => {
                    // The followers of this batch get an empty result and score for themselves.
                    for (t, _) in batch {
                        st.results.insert(t, Vec::new());
                    }
                    self.done.notify_all();
                    drop(st);
                    std::panic::resume_unwind(panic);
                }
            }
            self.done.notify_all();
        }
    }
}
