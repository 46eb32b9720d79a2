//! What the collector, the aggregator and the `sipas` binary share, in four
//! rooms whose dependencies run one way:
//!
//! - [`model`]: campaigns, questionnaires, answers, responses — pure values;
//! - [`files`]: every reader of what offices send, and its errors;
//! - [`field`]: sampling and the demo generator, pure algorithms;
//! - [`store`]: persistence only.
//!
//! `files`, `field` and `store` import the model and nothing beside it;
//! [`ops`] (a frame import, a sampling run) sits above them all.

pub mod field;
pub mod files;
pub mod model;
pub mod ops;
pub mod store;

pub use files::source::SourceError;
pub use model::{Answer, AnswerError, Answers, Campaign, Likert, Phone, PhoneError, Token, Unit, UnitCode, UnitKind};
pub use model::{Question, QuestionKind, Questionnaire};
pub use store::{Store, StoreError};
