//! The `recommendationId` Reko returns with recommendations, and what an event carrying one back
//! is attributed to (docs/compatibility.md, "Metric attributions").
//!
//! Layout (40 characters, the events API's cap): `RID-` + a one-letter issuer tag + 16 hex
//! digits of the issuer's fingerprint + `-` + 18 random hex digits. The tag says what the
//! fingerprint identifies (`c`: a campaign ARN, `r`: a recommender ARN, `e`: an experiment's arm,
//! whose 16 digits are 15 of the experiment ARN's fingerprint and the arm's position), so every id
//! is made and read in this one place. Ids issued before this layout (`RID-` + UUID) resolve to
//! nothing.
//!
//! The fingerprint is not secret: whoever can send events to a group could as well name the
//! source in `eventAttributionSource`. It is resolved only against the campaigns of the dataset
//! group the event's tracker belongs to, so an id never attributes an event to another group.

use rand::Rng;

/// Who issued a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Issuer<'a> {
    Campaign(&'a str),
    Recommender(&'a str),
    /// The arm at this position of the experiment with this ARN.
    ExperimentArm(&'a str, u32),
}

const PREFIX: &str = "RID-";
const CAMPAIGN_TAG: char = 'c';
const RECOMMENDER_TAG: char = 'r';
const EXPERIMENT_TAG: char = 'e';
/// Arms an experiment id can name (one hex digit).
pub(crate) const MAX_ARMS: u32 = 16;
const FINGERPRINT_HEX: usize = 16;
const NONCE_HEX: usize = 18;

/// A new recommendation id naming its issuer.
pub(crate) fn issue(issuer: Issuer<'_>) -> String {
    let (tag, fingerprint) = match issuer {
        Issuer::Campaign(arn) => (CAMPAIGN_TAG, fingerprint(arn)),
        Issuer::Recommender(arn) => (RECOMMENDER_TAG, fingerprint(arn)),
        Issuer::ExperimentArm(arn, arm) => (EXPERIMENT_TAG, experiment_fingerprint(arn) | u64::from(arm % MAX_ARMS)),
    };
    let nonce: u128 = rand::thread_rng().gen::<u128>() & ((1u128 << (NONCE_HEX * 4)) - 1);
    format!("{PREFIX}{tag}{fingerprint:0width$x}-{nonce:0nwidth$x}", width = FINGERPRINT_HEX, nwidth = NONCE_HEX)
}

/// What an id names, read back: the issuer kind and its fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IssuedBy {
    Campaign { fingerprint: u64 },
    Recommender { fingerprint: u64 },
    ExperimentArm { fingerprint: u64, arm: u32 },
}

impl IssuedBy {
    /// Whether the campaign `arn` has this fingerprint.
    pub(crate) fn is_campaign(&self, arn: &str) -> bool {
        matches!(self, IssuedBy::Campaign { fingerprint: f } if *f == fingerprint(arn))
    }
    /// Whether the recommender `arn` has this fingerprint.
    pub(crate) fn is_recommender(&self, arn: &str) -> bool {
        matches!(self, IssuedBy::Recommender { fingerprint: f } if *f == fingerprint(arn))
    }
    /// The arm of the experiment `arn` this id names, if it names one of that experiment's.
    pub(crate) fn experiment_arm(&self, arn: &str) -> Option<u32> {
        match self {
            IssuedBy::ExperimentArm { fingerprint: f, arm } if *f == experiment_fingerprint(arn) => Some(*arm),
            _ => None,
        }
    }
}

/// Reads an id Reko issued; `None` for anything else (an older id, a client's own string).
pub(crate) fn parse(id: &str) -> Option<IssuedBy> {
    let rest = id.strip_prefix(PREFIX)?;
    let mut chars = rest.chars();
    let tag = chars.next()?;
    let rest = chars.as_str();
    let (fp, nonce) = rest.split_once('-')?;
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex(fp, FINGERPRINT_HEX) || !hex(nonce, NONCE_HEX) {
        return None;
    }
    let fingerprint = u64::from_str_radix(fp, 16).ok()?;
    match tag {
        CAMPAIGN_TAG => Some(IssuedBy::Campaign { fingerprint }),
        RECOMMENDER_TAG => Some(IssuedBy::Recommender { fingerprint }),
        EXPERIMENT_TAG => {
            Some(IssuedBy::ExperimentArm { fingerprint: fingerprint & !0xf, arm: (fingerprint & 0xf) as u32 })
        }
        _ => None,
    }
}

/// 64-bit FNV-1a of the issuer's ARN (stable across versions and restarts: ids stay readable).
fn fingerprint(arn: &str) -> u64 {
    arn.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// An experiment's fingerprint: its ARN's with the lowest hex digit left for the arm.
fn experiment_fingerprint(arn: &str) -> u64 {
    fingerprint(arn) & !0xf
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "arn:aws:personalize:us-east-1:123456789012:campaign/a";
    const B: &str = "arn:aws:personalize:us-east-1:123456789012:campaign/b";

    #[test]
    fn ids_are_forty_characters_and_name_their_campaign() {
        let id = issue(Issuer::Campaign(A));
        assert_eq!(id.len(), 40, "{id}");
        assert!(id.starts_with("RID-c"));
        assert_ne!(id, issue(Issuer::Campaign(A)), "each id is new");
        let read = parse(&id).unwrap();
        assert!(read.is_campaign(A));
        assert!(!read.is_campaign(B));
        // A recommender's id names it as a recommender, never as a campaign of the same ARN.
        let id = issue(Issuer::Recommender(B));
        assert!(id.starts_with("RID-r") && id.len() == 40, "{id}");
        let read = parse(&id).unwrap();
        assert!(read.is_recommender(B) && !read.is_recommender(A) && !read.is_campaign(B));
    }

    #[test]
    fn experiment_ids_name_the_experiment_and_the_arm() {
        const E: &str = "arn:aws:personalize:us-east-1:123456789012:experiment/e";
        for arm in [0, 1, 9] {
            let id = issue(Issuer::ExperimentArm(E, arm));
            assert!(id.starts_with("RID-e") && id.len() == 40, "{id}");
            let read = parse(&id).unwrap();
            assert_eq!(read.experiment_arm(E), Some(arm));
            assert_eq!(read.experiment_arm(A), None, "another experiment's ARN");
            assert!(!read.is_campaign(E) && !read.is_recommender(E));
        }
        // A campaign's id names no experiment arm.
        assert_eq!(parse(&issue(Issuer::Campaign(E))).unwrap().experiment_arm(E), None);
    }

    #[test]
    fn other_strings_name_no_issuer() {
        assert_eq!(parse("RID-0b6f3c1e-8d2a-4c5e-9f1a-2b3c4d5e6f70"), None, "an id of the older layout");
        assert_eq!(parse("my-own-id"), None);
        assert_eq!(parse("RID-x0123456789abcdef-0123456789abcdef01"), None, "unknown tag");
        assert_eq!(parse("RID-c0123456789abcdef-0123"), None, "short nonce");
        assert_eq!(parse("RID-c0123456789abcdeg-0123456789abcdef01"), None, "not hex");
        assert_eq!(parse(""), None);
    }
}
