//! spectrum (being written).
