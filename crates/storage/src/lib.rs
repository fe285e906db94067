//! reko-storage
