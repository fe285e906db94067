//! reko-engine
