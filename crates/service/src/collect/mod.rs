//! Event collection (docs/event-collection.md): Segment spec messages, from the webhook or a NATS
//! JetStream stream, mapped onto PutEvents / PutUsers and stored through the very path those
//! operations take (schema checks, encryption, group commit, real-time state, attribution),
//! exactly once per `messageId`: the ids are dedupe keys stored in the records' transaction.
//! Messages that cannot be stored go to the dead letters with the reason.

mod dead_letters;
pub mod segment;

use reko_api::{ApiError, PutEventsRequest, PutUsersRequest, Validate};
use reko_dataset::DatasetType;
use reko_storage::Appended;
use serde_json::Value;

pub use dead_letters::{DEAD_LETTERS_KEPT, PAYLOAD_EXCERPT_CHARS};
pub use reko_storage::DeadLetter;
pub use segment::Mapping;

use crate::error::{ServiceError, ServiceResult};
use crate::Reko;
use segment::{Mapped, Message, Refusal};

/// A mapped message and the raw one (a dead letter's payload).
type Pending<'a> = (Message, &'a Value);
/// Stores a run of messages (PutEvents or PutUsers).
type PutRun<'a> = dyn Fn(&Reko, &[Pending<'a>]) -> ServiceResult<Appended> + 'a;

/// Most records in one PutEvents / PutUsers call (Personalize's limit, kept here too).
const MAX_RECORDS: usize = 10;

/// A collection source: where its messages go and how they map.
#[derive(Debug, Clone)]
pub struct CollectSource {
    /// The source's name: dead letters and `/metrics` name it.
    pub name: String,
    /// The event tracker receiving its events (identify calls go to the tracker's dataset
    /// group's Users dataset).
    pub tracking_id: String,
    pub mapping: Mapping,
}

/// What became of a body's messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectOutcome {
    /// Messages stored now.
    pub stored: u64,
    /// Messages stored before (same `messageId`), not stored again.
    pub duplicates: u64,
    /// Messages refused, now in the dead letters.
    pub dead_lettered: u64,
}

impl Reko {
    /// Collects one webhook body or NATS message: a Segment call or a `{"batch": [...]}`.
    /// `fallback_id` is the id of a message without `messageId` (a NATS message's id).
    ///
    /// Refused messages are dead letters and the call succeeds; an error means nothing
    /// definite happened to some messages (the tracker is missing or not ACTIVE, storage
    /// failed) and the caller should deliver the body again: what was stored is not doubled.
    pub fn collect(
        &self,
        source: &CollectSource,
        body: &[u8],
        fallback_id: Option<&str>,
    ) -> ServiceResult<CollectOutcome> {
        let target = self.tracker_target(&source.tracking_id)?;
        let group = target.dataset_group_arn.as_str();
        let mut outcome = CollectOutcome::default();
        let json: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                let refusal = Refusal { reason: "invalid_json", detail: format!("the body is not JSON: {e}") };
                self.dead_letter(source, Some(group), &refusal, &String::from_utf8_lossy(body))?;
                outcome.dead_lettered += 1;
                return Ok(outcome);
            }
        };
        let messages = match segment::split_batch(&json) {
            Ok(m) => m,
            Err(refusal) => {
                self.dead_letter(source, Some(group), &refusal, &json.to_string())?;
                outcome.dead_lettered += 1;
                return Ok(outcome);
            }
        };
        let mut events: Vec<Pending> = Vec::new();
        let mut users: Vec<Pending> = Vec::new();
        for raw in messages {
            match segment::map_message(&source.mapping, raw, fallback_id) {
                Err(refusal) => {
                    self.dead_letter(source, Some(group), &refusal, &raw.to_string())?;
                    outcome.dead_lettered += 1;
                }
                // The same message twice in one body is one message.
                Ok(m) if events.iter().chain(&users).any(|(o, _)| o.message_id == m.message_id) => {
                    outcome.duplicates += 1;
                }
                Ok(m) if matches!(m.mapped, Mapped::User(_)) => users.push((m, raw)),
                Ok(m) => events.push((m, raw)),
            }
        }
        // One PutEvents per user and session, in arrival order, at most MAX_RECORDS events each.
        let mut runs: Vec<Vec<Pending>> = Vec::new();
        for (m, raw) in events {
            let same = runs.last().is_some_and(|run| run.len() < MAX_RECORDS && same_caller(&run[0].0, &m));
            if same {
                runs.last_mut().expect("a run").push((m, raw));
            } else {
                runs.push(vec![(m, raw)]);
            }
        }
        for run in runs {
            self.store_run(source, group, run, &mut outcome, &|reko, run| reko.put_run_events(source, run))?;
        }
        if !users.is_empty() {
            match self.dataset_of_type(group, DatasetType::Users)? {
                Some(dataset) => {
                    let arn = dataset.wire.dataset_arn;
                    for run in users.chunks(MAX_RECORDS) {
                        let put = |reko: &Reko, run: &[Pending]| reko.put_run_users(&arn, run);
                        self.store_run(source, group, run.to_vec(), &mut outcome, &put)?;
                    }
                }
                None => {
                    let refusal = Refusal {
                        reason: "no_users_dataset",
                        detail: format!("identify calls need a Users dataset in {group}"),
                    };
                    for (_, raw) in users {
                        self.dead_letter(source, Some(group), &refusal, &raw.to_string())?;
                        outcome.dead_lettered += 1;
                    }
                }
            }
        }
        crate::metrics::record_collected(&source.name, outcome.stored, outcome.duplicates);
        Ok(outcome)
    }

    /// Stores a run of messages exactly once: those already stored are dropped and the rest
    /// stored again; a run refused as invalid is stored message by message, so that only the
    /// invalid ones become dead letters.
    fn store_run<'a>(
        &self,
        source: &CollectSource,
        group: &str,
        mut run: Vec<Pending<'a>>,
        outcome: &mut CollectOutcome,
        put: &PutRun<'a>,
    ) -> ServiceResult<()> {
        while !run.is_empty() {
            match put(self, &run) {
                Ok(Appended::Stored(_)) => {
                    outcome.stored += run.len() as u64;
                    return Ok(());
                }
                Ok(Appended::Duplicate(seen)) => {
                    let before = run.len();
                    run.retain(|(m, _)| !seen.contains(&m.message_id));
                    outcome.duplicates += (before - run.len()) as u64;
                }
                Err(ServiceError::Api(ApiError::InvalidInput(detail))) => {
                    if run.len() == 1 {
                        let refusal = Refusal { reason: "invalid_event", detail };
                        self.dead_letter(source, Some(group), &refusal, &run[0].1.to_string())?;
                        outcome.dead_lettered += 1;
                        return Ok(());
                    }
                    for one in run {
                        self.store_run(source, group, vec![one], outcome, put)?;
                    }
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn put_run_events(&self, source: &CollectSource, run: &[Pending]) -> ServiceResult<Appended> {
        let Mapped::Event { user_id, session_id, .. } = &run[0].0.mapped else {
            return Err(ServiceError::Internal("an identify call in a run of events".into()));
        };
        let req = PutEventsRequest {
            tracking_id: source.tracking_id.clone(),
            user_id: user_id.clone(),
            session_id: session_id.clone(),
            event_list: run
                .iter()
                .filter_map(|(m, _)| match &m.mapped {
                    Mapped::Event { event, .. } => Some(event.clone()),
                    Mapped::User(_) => None,
                })
                .collect(),
        };
        req.validate()?;
        self.put_events_once(&req, run.iter().map(|(m, _)| m.message_id.clone()).collect())
    }

    fn put_run_users(&self, dataset_arn: &str, run: &[Pending]) -> ServiceResult<Appended> {
        let req = PutUsersRequest {
            dataset_arn: dataset_arn.to_string(),
            users: run
                .iter()
                .filter_map(|(m, _)| match &m.mapped {
                    Mapped::User(u) => Some(u.clone()),
                    Mapped::Event { .. } => None,
                })
                .collect(),
        };
        req.validate()?;
        self.put_users_once(&req, run.iter().map(|(m, _)| m.message_id.clone()).collect())
    }
}

fn same_caller(a: &Message, b: &Message) -> bool {
    match (&a.mapped, &b.mapped) {
        (Mapped::Event { user_id: ua, session_id: sa, .. }, Mapped::Event { user_id: ub, session_id: sb, .. }) => {
            ua == ub && sa == sb
        }
        _ => false,
    }
}
