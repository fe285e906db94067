//! Dead letters: collected messages that could not be stored, kept (the newest
//! [`DEAD_LETTERS_KEPT`]) with their reason for the operator (`GET /reko/dead-letters`, the
//! console, `/metrics`).

use reko_storage::DeadLetter;

use super::segment::Refusal;
use super::CollectSource;
use crate::access::AccessScope;
use crate::error::ServiceResult;
use crate::Reko;

/// Dead letters kept; older ones are dropped as new ones arrive.
pub const DEAD_LETTERS_KEPT: u64 = 1000;
/// The prefix of a dead letter's text sealed with its group's data key (hex follows).
const SEALED: &str = "sealed:";
/// Characters of a refused payload kept in its dead letter.
pub const PAYLOAD_EXCERPT_CHARS: usize = 1024;

impl Reko {
    /// Records a refused message. The detail and payload of an encrypted dataset group's message
    /// (they may quote its ids) are sealed with the group's data key, as its records are.
    pub(crate) fn dead_letter(
        &self,
        source: &CollectSource,
        group: Option<&str>,
        refusal: &Refusal,
        payload: &str,
    ) -> ServiceResult<()> {
        let excerpt: String = payload.chars().take(PAYLOAD_EXCERPT_CHARS).collect();
        let (detail, payload) = match group {
            Some(g) if self.group_data_key(g)?.is_some() => {
                let sealer = self.sealer_in_group(g, g)?;
                let seal = |text: &str| -> ServiceResult<String> {
                    Ok(format!("{SEALED}{}", hex::encode(sealer.seal(text.as_bytes().to_vec())?)))
                };
                (seal(&refusal.detail)?, seal(&excerpt)?)
            }
            _ => (refusal.detail.clone(), excerpt),
        };
        let letter = DeadLetter {
            id: 0,
            at: crate::usage::now_secs() as f64,
            source: source.name.clone(),
            dataset_group_arn: group.map(str::to_string),
            reason: refusal.reason.to_string(),
            detail,
            payload,
        };
        // Not the detail: it may quote an encrypted group's ids (GET /reko/dead-letters shows it).
        tracing::info!(source = %source.name, reason = refusal.reason, "collected message refused");
        self.store().add_dead_letter(&letter, DEAD_LETTERS_KEPT)?;
        crate::metrics::record_dead_letter(&source.name, refusal.reason);
        Ok(())
    }

    /// The newest `limit` dead letters the caller may see (a scoped key: its dataset groups').
    pub fn dead_letters(&self, scope: &AccessScope, limit: u64) -> ServiceResult<Vec<DeadLetter>> {
        let mut letters = self.store().dead_letters(DEAD_LETTERS_KEPT)?;
        if !scope.is_unrestricted() {
            letters.retain(|l| l.dataset_group_arn.as_deref().is_some_and(|g| scope.allows_group(g)));
        }
        letters.truncate(limit as usize);
        for l in &mut letters {
            if let Some(group) = l.dataset_group_arn.clone() {
                l.detail = self.unsealed(&group, &l.detail);
                l.payload = self.unsealed(&group, &l.payload);
            }
        }
        Ok(letters)
    }

    /// A sealed dead-letter text opened, or why it cannot be (the group's key is gone).
    fn unsealed(&self, group: &str, text: &str) -> String {
        let Some(sealed) = text.strip_prefix(SEALED) else { return text.to_string() };
        let opened = hex::decode(sealed)
            .map_err(|e| crate::ServiceError::Internal(e.to_string()))
            .and_then(|bytes| self.sealer_in_group(group, group)?.open(bytes));
        match opened {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => format!("(sealed with {group}'s data key, which cannot open it now: {e})"),
        }
    }
}
