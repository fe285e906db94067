//! The wire errors of the three Personalize services, defined once.
//!
//! Every layer below (service, storage, engine) has its own error enum; each is converted into
//! [`ApiError`] exactly once, and the HTTP layer maps an `ApiError` to `__type`, `x-amzn-ErrorType`
//! and a status code through [`ApiError::http_status`].

/// Which of the three Personalize services a request belongs to: the same error code maps to a
/// different HTTP status on each (see [`ApiError::http_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// `AmazonPersonalize.*` over awsJson1_1 on `POST /`.
    Control,
    /// `POST /recommendations`, `/personalize-ranking`, `/action-recommendations`.
    Runtime,
    /// `POST /events`, `/items`, `/users`, `/actions`, `/action-interactions`.
    Events,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceAlreadyExists(String),
    #[error("{0}")]
    ResourceInUse(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    InvalidNextToken(String),
    #[error("{0}")]
    TooManyTags(String),
    #[error("{0}")]
    TooManyTagKeys(String),
    /// An operation of the Personalize model that Reko does not implement yet. Never a fake success.
    #[error("{0} is not implemented by this Reko server yet")]
    NotImplemented(String),
    /// A request that does not name an operation this server knows (unknown X-Amz-Target or path).
    #[error("{0}")]
    UnknownOperation(String),
    /// The request is not signed (no `Authorization` header).
    #[error("{0}")]
    MissingAuthenticationToken(String),
    /// The `Authorization` header or the signing headers are malformed.
    #[error("{0}")]
    IncompleteSignature(String),
    /// The access key id is not one the server knows.
    #[error("{0}")]
    UnrecognizedClient(String),
    /// The signature does not match, or is expired, or is scoped to another region or service.
    #[error("{0}")]
    InvalidSignature(String),
    /// The (authenticated) caller's key may not do this.
    #[error("{0}")]
    AccessDenied(String),
    /// Too many requests in flight; the SDKs retry it with backoff.
    #[error("{0}")]
    Throttling(String),
    /// A fault of the server itself (storage failure, corrupt model file). Retried by the SDKs.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// The `__type` / `x-amzn-ErrorType` code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidInput(_) => "InvalidInputException",
            ApiError::ResourceNotFound(_) => "ResourceNotFoundException",
            ApiError::ResourceAlreadyExists(_) => "ResourceAlreadyExistsException",
            ApiError::ResourceInUse(_) => "ResourceInUseException",
            ApiError::LimitExceeded(_) => "LimitExceededException",
            ApiError::InvalidNextToken(_) => "InvalidNextTokenException",
            ApiError::TooManyTags(_) => "TooManyTagsException",
            ApiError::TooManyTagKeys(_) => "TooManyTagKeysException",
            // Not in the Personalize model; SDKs surface unknown codes as a generic service error
            // carrying this code and the message, which names the operation.
            ApiError::NotImplemented(_) => "NotImplementedException",
            ApiError::UnknownOperation(_) => "UnknownOperationException",
            ApiError::MissingAuthenticationToken(_) => "MissingAuthenticationTokenException",
            ApiError::IncompleteSignature(_) => "IncompleteSignatureException",
            ApiError::UnrecognizedClient(_) => "UnrecognizedClientException",
            ApiError::InvalidSignature(_) => "InvalidSignatureException",
            ApiError::AccessDenied(_) => "AccessDeniedException",
            ApiError::Throttling(_) => "ThrottlingException",
            ApiError::Internal(_) => "InternalFailure",
        }
    }

    /// HTTP status for this error on the given service: Personalize's own errors are 400 on the
    /// control plane (AWS JSON 1.1); the runtime and events services use the statuses their API
    /// references give (ResourceNotFound 404, ResourceInUse 409 on events).
    pub fn http_status(&self, service: Service) -> u16 {
        match (self, service) {
            (ApiError::Internal(_), _) => 500,
            (
                ApiError::MissingAuthenticationToken(_)
                | ApiError::IncompleteSignature(_)
                | ApiError::UnrecognizedClient(_)
                | ApiError::InvalidSignature(_)
                | ApiError::AccessDenied(_),
                _,
            ) => 403,
            (ApiError::NotImplemented(_), _) => 501,
            (ApiError::UnknownOperation(_), _) => 404,
            (_, Service::Control) => 400,
            (ApiError::ResourceNotFound(_), _) => 404,
            (ApiError::ResourceInUse(_), Service::Events) => 409,
            _ => 400,
        }
    }

    pub fn message(&self) -> String {
        self.to_string()
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        ApiError::InvalidInput(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        ApiError::ResourceNotFound(msg.into())
    }
    pub fn in_use(msg: impl Into<String>) -> Self {
        ApiError::ResourceInUse(msg.into())
    }
    pub fn already_exists(msg: impl Into<String>) -> Self {
        ApiError::ResourceAlreadyExists(msg.into())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_reference_table() {
        let nf = ApiError::not_found("x");
        assert_eq!(nf.http_status(Service::Control), 400);
        assert_eq!(nf.http_status(Service::Runtime), 404);
        assert_eq!(ApiError::in_use("x").http_status(Service::Events), 409);
        assert_eq!(ApiError::invalid("x").http_status(Service::Runtime), 400);
        assert_eq!(nf.code(), "ResourceNotFoundException");
    }
}
