//! reko-http
