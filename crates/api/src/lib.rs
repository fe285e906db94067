//! Wire types of Amazon Personalize as Reko speaks them: request and response shapes with the exact
//! member names of the service models, the wire errors, and server-side validation of every
//! length, pattern, range and enum the models declare (the SDKs check almost none of them).

pub mod error;

pub use error::{ApiError, ApiResult, Service};
