//! reko-dataset
