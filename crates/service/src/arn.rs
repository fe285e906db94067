//! ARNs in Personalize's formats (the `Arn` fields of Personalize's API reference).

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

    /// `arn:aws:personalize:{region}:{acct}:{kind}/{path}` in the server's own account.
    pub fn arn(&self, kind: ResourceKind, path: &str) -> String {
        format!("{}{}/{}", self.prefix(), kind.arn_segment(), path)
    }

    /// An ARN in `account` (a tenant's: its names are its own, as another AWS account's are).
    pub fn arn_in(&self, account: Option<&str>, kind: ResourceKind, path: &str) -> String {
        match account {
            Some(account) => format!("arn:aws:personalize:{}:{account}:{}/{path}", self.region, kind.arn_segment()),
            None => self.arn(kind, path),
        }
    }

    /// An ARN in the account of `parent` (a dataset group, dataset, solution or version): every
    /// resource lives in its dataset group's account.
    pub fn child(&self, parent: &str, kind: ResourceKind, path: &str) -> String {
        self.arn_in(account_of(parent), kind, path)
    }

    /// Whether `account` is another than the server's own (its resources need their own folders).
    pub fn is_tenant_account(&self, account: &str) -> bool {
        account != self.account_id
    }

    /// Whether `arn` names a resource of `kind` in this account and region.
    pub fn is_kind(&self, arn: &str, kind: ResourceKind) -> bool {
        arn.strip_prefix(&self.prefix())
            .and_then(|rest| rest.strip_prefix(kind.arn_segment()))
            .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// The account id of an ARN (`arn:aws:personalize:{region}:{account}:...`); `None` for
/// service-owned ARNs (recipes) and anything malformed.
pub fn account_of(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some(_), Some(_), Some(account), Some(_)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    (!account.is_empty()).then_some(account)
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
        assert_eq!(account_of(&arn), Some("123456789012"));
        assert_eq!(account_of(&recipe_arn("aws-sims")), None);
        assert_eq!(account_of("arn:aws"), None);
        let tenant = s.arn_in(Some("111111111111"), ResourceKind::DatasetGroup, "g");
        assert_eq!(tenant, "arn:aws:personalize:us-east-1:111111111111:dataset-group/g");
        assert_eq!(
            s.child(&tenant, ResourceKind::Solution, "s"),
            "arn:aws:personalize:us-east-1:111111111111:solution/s"
        );
        let id = solution_version_id();
        assert_eq!(id.len(), 8);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
