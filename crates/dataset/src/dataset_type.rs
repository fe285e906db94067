//! Dataset kinds and dataset-group domains.

use std::fmt;

/// The kind of a dataset (`CreateDataset.datasetType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DatasetType {
    Interactions,
    Items,
    Users,
    Actions,
    ActionInteractions,
}

impl DatasetType {
    /// All dataset kinds, in a stable order.
    pub const ALL: [DatasetType; 5] = [
        DatasetType::Interactions,
        DatasetType::Items,
        DatasetType::Users,
        DatasetType::Actions,
        DatasetType::ActionInteractions,
    ];

    /// Parses an API value (`Interactions`, `Items`, `Users`, `Actions`,
    /// `Action_Interactions`), case-insensitively. The wire form
    /// (`ACTION_INTERACTIONS`) is accepted by the same rule.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL.into_iter().find(|dt| dt.as_wire().eq_ignore_ascii_case(s))
    }

    /// The upper-case form returned by Describe* and used in ARNs.
    pub fn as_wire(self) -> &'static str {
        match self {
            DatasetType::Interactions => "INTERACTIONS",
            DatasetType::Items => "ITEMS",
            DatasetType::Users => "USERS",
            DatasetType::Actions => "ACTIONS",
            DatasetType::ActionInteractions => "ACTION_INTERACTIONS",
        }
    }

    /// The Avro record name a schema for this dataset kind must carry.
    pub fn schema_record_name(self) -> &'static str {
        match self {
            DatasetType::Interactions => "Interactions",
            DatasetType::Items => "Items",
            DatasetType::Users => "Users",
            DatasetType::Actions => "Actions",
            DatasetType::ActionInteractions => "ActionInteractions",
        }
    }

    /// Inverse of [`DatasetType::schema_record_name`] (exact match).
    pub fn from_schema_record_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|dt| dt.schema_record_name() == name)
    }
}

impl fmt::Display for DatasetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_wire())
    }
}

/// The domain of a domain dataset group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Domain {
    Ecommerce,
    VideoOnDemand,
}

impl Domain {
    /// Parses `ECOMMERCE` / `VIDEO_ON_DEMAND` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("ECOMMERCE") {
            Some(Domain::Ecommerce)
        } else if s.eq_ignore_ascii_case("VIDEO_ON_DEMAND") {
            Some(Domain::VideoOnDemand)
        } else {
            None
        }
    }

    /// The wire value.
    pub fn as_wire(self) -> &'static str {
        match self {
            Domain::Ecommerce => "ECOMMERCE",
            Domain::VideoOnDemand => "VIDEO_ON_DEMAND",
        }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_wire())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_dataset_types() {
        assert_eq!(DatasetType::parse("Interactions"), Some(DatasetType::Interactions));
        assert_eq!(DatasetType::parse("interactions"), Some(DatasetType::Interactions));
        assert_eq!(DatasetType::parse("ITEMS"), Some(DatasetType::Items));
        assert_eq!(DatasetType::parse("Users"), Some(DatasetType::Users));
        assert_eq!(DatasetType::parse("Actions"), Some(DatasetType::Actions));
        assert_eq!(DatasetType::parse("Action_Interactions"), Some(DatasetType::ActionInteractions));
        assert_eq!(DatasetType::parse("action_interactions"), Some(DatasetType::ActionInteractions));
        assert_eq!(DatasetType::parse("ActionInteractions"), None);
        assert_eq!(DatasetType::parse("Events"), None);
        assert_eq!(DatasetType::parse(""), None);
    }

    #[test]
    fn wire_and_record_names() {
        assert_eq!(DatasetType::ActionInteractions.as_wire(), "ACTION_INTERACTIONS");
        assert_eq!(DatasetType::Items.as_wire(), "ITEMS");
        assert_eq!(DatasetType::ActionInteractions.schema_record_name(), "ActionInteractions");
        for dt in DatasetType::ALL {
            assert_eq!(DatasetType::parse(dt.as_wire()), Some(dt));
            assert_eq!(DatasetType::from_schema_record_name(dt.schema_record_name()), Some(dt));
        }
    }

    #[test]
    fn parse_domains() {
        assert_eq!(Domain::parse("ECOMMERCE"), Some(Domain::Ecommerce));
        assert_eq!(Domain::parse("VIDEO_ON_DEMAND"), Some(Domain::VideoOnDemand));
        assert_eq!(Domain::parse("video_on_demand"), Some(Domain::VideoOnDemand));
        assert_eq!(Domain::parse("RETAIL"), None);
        assert_eq!(Domain::VideoOnDemand.as_wire(), "VIDEO_ON_DEMAND");
    }
}
