//! The Next-Best-Action part of a snapshot: the Actions dataset's actions with the attributes
//! the recipe honours, and the Action interactions dataset's rows (user, action, time, type).
//! Users and actions are interned like items, so user indices are those of the item data.

use super::{IdTable, TrainingData, TrainingDataBuilder};

/// An Action interactions EVENT_TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActionEvent {
    Taken,
    NotTaken,
    Viewed,
}

impl ActionEvent {
    /// `TAKEN`, `NOT_TAKEN` or `VIEWED` (the values imports and PutActionInteractions accept).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "TAKEN" => Some(ActionEvent::Taken),
            "NOT_TAKEN" => Some(ActionEvent::NotTaken),
            "VIEWED" => Some(ActionEvent::Viewed),
            _ => None,
        }
    }
}

/// What the Actions dataset says about an action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionAttributes {
    /// VALUE: breaks ties between equally likely actions (higher first).
    pub value: Option<i64>,
    /// EXPIRATION_TIMESTAMP (epoch seconds): never recommended from then on.
    pub expiration: Option<i64>,
    /// REPEAT_FREQUENCY (days): not recommended again to a user this long after they took it.
    pub repeat_frequency_days: Option<i64>,
}

/// One Action interactions row, in index space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ActionInteraction {
    pub user: u32,
    pub action: u32,
    pub timestamp: i64,
    pub event: ActionEvent,
}

/// Actions and action interactions of a snapshot.
#[derive(Debug, Default)]
pub struct ActionData {
    ids: IdTable,
    attributes: Vec<ActionAttributes>,
    in_actions_dataset: Vec<bool>,
    interactions: Vec<ActionInteraction>,
}

impl ActionData {
    /// Number of distinct actions (Actions ∪ Action interactions).
    pub fn num_actions(&self) -> usize {
        self.ids.len()
    }
    /// Action id of an index.
    pub fn action_id(&self, action: u32) -> &str {
        self.ids.name(action)
    }
    /// Index of an action id.
    pub fn action_index(&self, action_id: &str) -> Option<u32> {
        self.ids.get(action_id)
    }
    /// The Actions dataset's attributes of an action (defaults when it has no row there).
    pub fn attributes(&self, action: u32) -> ActionAttributes {
        self.attributes[action as usize]
    }
    /// Whether the action has a row in the Actions dataset (only those are recommended).
    pub fn in_actions_dataset(&self, action: u32) -> bool {
        self.in_actions_dataset[action as usize]
    }
    /// Action interactions, sorted by user, time, action and type, duplicates removed.
    pub fn interactions(&self) -> &[ActionInteraction] {
        &self.interactions
    }

    fn intern(&mut self, action_id: &str) -> u32 {
        let a = self.ids.intern(action_id);
        if a as usize == self.attributes.len() {
            self.attributes.push(ActionAttributes::default());
            self.in_actions_dataset.push(false);
        }
        a
    }

    pub(super) fn freeze(&mut self) {
        self.interactions.sort_unstable();
        self.interactions.dedup();
    }
}

impl TrainingDataBuilder {
    /// Add one row of the Actions dataset; a later row for the same action replaces it.
    pub fn push_action(&mut self, action_id: &str, attributes: ActionAttributes) {
        let a = self.cat.actions.intern(action_id) as usize;
        self.cat.actions.attributes[a] = attributes;
        self.cat.actions.in_actions_dataset[a] = true;
    }

    /// Add one row of the Action interactions dataset.
    pub fn push_action_interaction(&mut self, user_id: &str, action_id: &str, timestamp: i64, event: ActionEvent) {
        let user = self.cat.users.intern(user_id);
        let action = self.cat.actions.intern(action_id);
        self.cat.actions.interactions.push(ActionInteraction { user, action, timestamp, event });
    }
}

impl TrainingData {
    /// The snapshot's actions and action interactions (empty unless the snapshot was built for
    /// a Next-Best-Action training).
    pub fn actions(&self) -> &ActionData {
        &self.cat.actions
    }
}
