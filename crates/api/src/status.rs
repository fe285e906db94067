//! Resource statuses, spelled exactly as the service reports them: a space between verb and
//! state, an underscore in `IN_PROGRESS`. Documents and the catalog keep the spelled-out string
//! ([`ResourceStatus::as_str`]); stored data dirs depend on these exact strings.

/// The lifecycle status of a Personalize resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceStatus {
    CreatePending,
    CreateInProgress,
    Active,
    CreateFailed,
    DeletePending,
    DeleteInProgress,
    /// Solution versions only.
    CreateStopping,
    /// Solution versions only.
    CreateStopped,
    /// Recommenders only (StopRecommender / StartRecommender).
    StopPending,
    StopInProgress,
    Inactive,
    StartPending,
    StartInProgress,
}

impl ResourceStatus {
    pub const ALL: [ResourceStatus; 13] = [
        ResourceStatus::CreatePending,
        ResourceStatus::CreateInProgress,
        ResourceStatus::Active,
        ResourceStatus::CreateFailed,
        ResourceStatus::DeletePending,
        ResourceStatus::DeleteInProgress,
        ResourceStatus::CreateStopping,
        ResourceStatus::CreateStopped,
        ResourceStatus::StopPending,
        ResourceStatus::StopInProgress,
        ResourceStatus::Inactive,
        ResourceStatus::StartPending,
        ResourceStatus::StartInProgress,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ResourceStatus::CreatePending => "CREATE PENDING",
            ResourceStatus::CreateInProgress => "CREATE IN_PROGRESS",
            ResourceStatus::Active => "ACTIVE",
            ResourceStatus::CreateFailed => "CREATE FAILED",
            ResourceStatus::DeletePending => "DELETE PENDING",
            ResourceStatus::DeleteInProgress => "DELETE IN_PROGRESS",
            ResourceStatus::CreateStopping => "CREATE STOPPING",
            ResourceStatus::CreateStopped => "CREATE STOPPED",
            ResourceStatus::StopPending => "STOP PENDING",
            ResourceStatus::StopInProgress => "STOP IN_PROGRESS",
            ResourceStatus::Inactive => "INACTIVE",
            ResourceStatus::StartPending => "START PENDING",
            ResourceStatus::StartInProgress => "START IN_PROGRESS",
        }
    }

    /// The status a spelled-out string names, if any.
    pub fn parse(s: &str) -> Option<ResourceStatus> {
        ResourceStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl std::fmt::Display for ResourceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a resource in this status is still being created (counts against "pending" quotas).
pub fn is_pending(status: &str) -> bool {
    status == ResourceStatus::CreatePending.as_str() || status == ResourceStatus::CreateInProgress.as_str()
}

/// Whether a resource in this status is being deleted.
pub fn is_deleting(status: &str) -> bool {
    status == ResourceStatus::DeletePending.as_str() || status == ResourceStatus::DeleteInProgress.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The strings are a storage format: a data dir written by an earlier version must still read.
    #[test]
    fn spellings_are_fixed() {
        let spelled: Vec<&str> = ResourceStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            spelled,
            [
                "CREATE PENDING",
                "CREATE IN_PROGRESS",
                "ACTIVE",
                "CREATE FAILED",
                "DELETE PENDING",
                "DELETE IN_PROGRESS",
                "CREATE STOPPING",
                "CREATE STOPPED",
                "STOP PENDING",
                "STOP IN_PROGRESS",
                "INACTIVE",
                "START PENDING",
                "START IN_PROGRESS"
            ]
        );
        for s in ResourceStatus::ALL {
            assert_eq!(ResourceStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ResourceStatus::parse("active"), None);
        assert!(is_pending("CREATE IN_PROGRESS") && !is_pending("ACTIVE"));
        assert!(is_deleting("DELETE PENDING") && !is_deleting("CREATE PENDING"));
    }
}
