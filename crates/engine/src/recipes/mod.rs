//! Recipe implementations. Each module provides a [`crate::recipe::Recipe`] registered in
//! `crate::recipe`.

pub mod popularity_count;
