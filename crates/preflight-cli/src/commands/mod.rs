pub mod convert;
pub mod inspect;
pub mod merge;
pub mod scan;
