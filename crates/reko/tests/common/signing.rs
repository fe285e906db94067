//! Signing raw requests with AWS's own signer, as the SDKs do: the crate's one helper.

pub use reko::signing::Signer;
