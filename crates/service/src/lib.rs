//! reko-service
