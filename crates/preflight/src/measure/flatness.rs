//! flatness (being written).
