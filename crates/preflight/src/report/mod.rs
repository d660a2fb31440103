//! Reports of an [`crate::audit::Audit`] for people.
//!
//! - [`html`]: one self-contained HTML file with inline SVG charts;
//! - [`svg`]: the small plotting kit the charts are drawn with.
//!
//! `report.json` is the audit itself, serialized; these modules only read
//! it.

pub mod html;
pub mod svg;
