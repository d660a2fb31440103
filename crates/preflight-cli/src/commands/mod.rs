pub mod audit;
pub mod convert;
pub mod demo;
pub mod export;
pub mod inspect;
pub mod merge;
pub mod scan;
pub mod synth;
