//! The engine's error type. The service layer maps these onto Personalize exceptions.

/// Errors raised by training, evaluation, artifact I/O and model loading.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The solution configuration is not acceptable (unknown hyperparameter, value out of
    /// range, malformed events configuration). The message names the key and the value.
    #[error("{0}")]
    InvalidConfig(String),
    /// The (filtered) training data does not meet the minimum to train
    /// (docs/compatibility.md, row "Minimum data to train").
    #[error("{0}")]
    InsufficientData(String),
    /// No recipe of that name is implemented by this engine.
    #[error("unknown recipe: {0}")]
    UnknownRecipe(String),
    /// A model artifact failed verification or could not be decoded.
    #[error("corrupt model artifact: {0}")]
    CorruptArtifact(String),
    /// An I/O error while reading or writing an artifact.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// A payload the shared reader ([`reko_dataset::codec`]) could not read is a corrupt artifact.
impl From<reko_dataset::codec::CodecError> for EngineError {
    fn from(e: reko_dataset::codec::CodecError) -> Self {
        use reko_dataset::codec::CodecError;
        EngineError::CorruptArtifact(match e {
            CodecError::Truncated { what, offset, .. } => {
                format!("payload truncated while reading {what} at offset {offset}")
            }
            CodecError::Trailing(n) => format!("{n} trailing bytes after the payload"),
            other => other.to_string(),
        })
    }
}
