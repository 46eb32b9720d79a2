//! Value types that cannot hold a bad value: unit codes, phones, tokens, Likert levels.

mod code;
mod likert;
mod phone;
mod token;
mod unit;

pub use code::ShortCode;
pub use likert::Likert;
pub use phone::{Phone, PhoneError};
pub use token::Token;
pub use unit::{Unit, UnitCode, UnitCodeError, UnitKind, check_hierarchy};
