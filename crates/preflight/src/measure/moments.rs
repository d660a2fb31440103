//! moments (being written).
