//! The service layer's error, mapped once to the wire errors.

use reko_api::ApiError;
use reko_engine::EngineError;
use reko_storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// An error in wire form: request validation done by reko-api, and every refusal that needs
    /// the catalog (unknown recipe, resource not found or in use, limits, ...).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The customer key of an encrypted dataset group is not available (not configured, or
    /// material that does not match); the text names the group and the key.
    #[error("{0}")]
    KeyUnavailable(String),
    /// The caller's key may not do this (outside its scope); the text says why.
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::Api(e) => e,
            ServiceError::Storage(StorageError::AlreadyExists { kind, name }) => {
                ApiError::ResourceAlreadyExists(format!("A {kind} with the name {name} already exists."))
            }
            ServiceError::Storage(StorageError::Conflict { arn, found, .. }) => ApiError::ResourceInUse(format!(
                "{arn} changed while the request was processed (it is now {found}); retry the request."
            )),
            ServiceError::Storage(StorageError::NotFound(arn)) => {
                ApiError::ResourceNotFound(format!("Could not find resource: {arn}"))
            }
            ServiceError::Storage(e) => ApiError::Internal(e.to_string()),
            ServiceError::Engine(EngineError::InvalidConfig(m)) => ApiError::InvalidInput(m),
            ServiceError::Engine(EngineError::UnknownRecipe(m)) => ApiError::InvalidInput(m),
            ServiceError::Engine(e) => ApiError::Internal(e.to_string()),
            ServiceError::KeyUnavailable(m) | ServiceError::AccessDenied(m) => ApiError::AccessDenied(m),
            ServiceError::Internal(m) => ApiError::Internal(m),
        }
    }
}
