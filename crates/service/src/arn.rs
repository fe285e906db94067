//! ARNs in Personalize's formats (reference §2.1).

use crate::resource::ResourceKind;

/// Builds and checks ARNs for one account and region.
#[derive(Debug, Clone)]
pub struct ArnScheme {
    pub region: String,
    pub account_id: String,
}

impl ArnScheme {
    fn prefix(&self) -> String {
        format!("arn:aws:personalize:{}:{}:", self.region, self.account_id)
    }

    /// `arn:aws:personalize:{region}:{acct}:{kind}/{path}`.
    pub fn arn(&self, kind: ResourceKind, path: &str) -> String {
        format!("{}{}/{}", self.prefix(), kind.arn_segment(), path)
    }

    /// Whether `arn` names a resource of `kind` in this account and region.
    pub fn is_kind(&self, arn: &str, kind: ResourceKind) -> bool {
        arn.strip_prefix(&self.prefix())
            .and_then(|rest| rest.strip_prefix(kind.arn_segment()))
            .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// Service-owned recipe ARN: `arn:aws:personalize:::recipe/{name}`.
pub fn recipe_arn(name: &str) -> String {
    format!("arn:aws:personalize:::recipe/{name}")
}

pub fn algorithm_arn(name: &str) -> String {
    format!("arn:aws:personalize:::algorithm/{name}")
}

pub fn feature_transformation_arn(name: &str) -> String {
    format!("arn:aws:personalize:::feature-transformation/{name}")
}

/// The recipe name of a recipe ARN, if it is one.
pub fn recipe_name(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:aws:personalize:::recipe/")
}

/// 8 lowercase hex characters, the id part of a solution version ARN.
pub fn solution_version_id() -> String {
    format!("{:08x}", rand::random::<u32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_follow_personalize_formats() {
        let s = ArnScheme { region: "us-east-1".into(), account_id: "123456789012".into() };
        let arn = s.arn(ResourceKind::DatasetGroup, "g");
        assert_eq!(arn, "arn:aws:personalize:us-east-1:123456789012:dataset-group/g");
        assert!(s.is_kind(&arn, ResourceKind::DatasetGroup));
        assert!(!s.is_kind(&arn, ResourceKind::Dataset));
        assert_eq!(recipe_name(&recipe_arn("aws-sims")), Some("aws-sims"));
        let id = solution_version_id();
        assert_eq!(id.len(), 8);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
