//! quantiles (being written).
