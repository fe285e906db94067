//! Wire types of Amazon Personalize as Reko speaks them: request and response shapes with the exact
//! member names of the service models, the wire errors, and server-side validation of every
//! length, pattern, range and enum the models declare (the SDKs check almost none of them).
//!
//! Conventions:
//! * Rust type names are the Personalize shape names (`DatasetGroup`, `CreateDatasetGroupRequest`,
//!   ...); acronyms in shape names are Rust-cased (`HpoConfig` for `HPOConfig`, `AutoMlConfig` for
//!   `AutoMLConfig`, `TunedHpoParams` for `TunedHPOParams`), member names on the wire are exact.
//! * Every shape is `Serialize + Deserialize`; optional members are `Option` and omitted when
//!   `None`; unknown members are refused by [`parse_request`]. Timestamps are epoch seconds as `f64`.
//! * Requests implement [`Validate`]; [`parse_request`] deserializes and validates a body.

pub mod access;
pub mod actions;
pub mod batch_inference_job;
pub mod batch_segment_job;
pub mod calendar;
pub mod campaign;
pub mod common;
pub mod data_deletion_job;
pub mod dataset;
pub mod dataset_export_job;
pub mod dataset_group;
pub mod dataset_import_job;
pub mod error;
pub mod event_tracker;
pub mod events;
pub mod experiment;
pub mod filter;
pub mod location;
pub mod metric_attribution;
pub mod operations;
pub mod recipe;
pub mod recommender;
pub mod runtime;
pub mod schema;
pub mod solution;
pub mod solution_config;
pub mod solution_version;
pub mod status;
pub mod tags;
pub mod validate;

pub use location::{DataLocation, DataLocationError, S3Location};
pub use status::ResourceStatus;

pub use access::{Access, AccessedResources};
pub use actions::*;
pub use batch_inference_job::*;
pub use batch_segment_job::*;
pub use campaign::*;
pub use common::*;
pub use data_deletion_job::*;
pub use dataset::*;
pub use dataset_export_job::*;
pub use dataset_group::*;
pub use dataset_import_job::*;
pub use error::{ApiError, ApiResult, Service};
pub use event_tracker::*;
pub use events::*;
pub use experiment::{
    CreateExperimentRequest, CreateExperimentResponse, DescribeExperimentResponse, Experiment, ExperimentArm,
    ExperimentArnRequest, ExperimentArnResponse, ExperimentSummary, ListExperimentsRequest, ListExperimentsResponse,
    PromoteExperimentRequest,
};
pub use filter::*;
pub use metric_attribution::*;
pub use operations::*;
pub use recipe::*;
pub use recommender::*;
pub use runtime::*;
pub use schema::*;
pub use solution::*;
pub use solution_config::*;
pub use solution_version::*;
pub use tags::*;
pub use validate::{parse_request, Validate, ValidateAt, Violations};
