//! Recipe implementations. Each module provides a [`crate::recipe::Recipe`] registered in
//! [`crate::registry`]; `als` (the ALS solver), `kmeans`, `cooccurrence` and `exploration` are
//! shared by several recipes.

pub mod als;
pub mod cooccurrence;
pub(crate) mod exploration;
pub mod frequently_bought_together;
pub mod item_affinity;
pub(crate) mod kmeans;
pub mod next_best_action;
pub mod popularity_count;
pub mod similar_items;
pub mod sims;
pub mod trending_now;
pub mod user_personalization;
