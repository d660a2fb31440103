pub mod audit;
pub mod convert;
pub mod inspect;
