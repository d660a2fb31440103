//! line_noise (being written).
