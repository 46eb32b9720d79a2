//! Domain types, campaign and questionnaire files, and storage shared by the
//! collector, the aggregator and the `sipas` binary.

pub mod answer;
pub mod appraisal;
pub mod auth;
pub mod ballots;
pub mod campaign;
pub mod clock;
pub mod demo;
pub mod domain;
pub mod examples;
pub mod frame;
pub mod questionnaire;
pub mod sampling;
pub mod source;
pub mod spreadsheet;
pub mod store;

pub use answer::{Answer, AnswerError, Answers};
pub use campaign::Campaign;
pub use domain::{Likert, Phone, PhoneError, Token, Unit, UnitCode, UnitKind};
pub use questionnaire::{Question, QuestionKind, Questionnaire};
pub use source::SourceError;
pub use store::{Store, StoreError};
