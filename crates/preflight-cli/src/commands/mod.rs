pub mod audit;
pub mod convert;
pub mod demo;
pub mod inspect;
pub mod synth;
