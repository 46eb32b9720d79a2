//! The model: what a survey is made of, as values — campaigns and their
//! units, groups and quotas, questionnaires and answers, responses as they
//! are kept, appraisals, staff roles, unit codes, phones, e-mail addresses, tokens — and the
//! service's clock and text folding.
//!
//! Pure: nothing here reads a file, a socket or the database, and nothing
//! here imports another room (`files`, `field`, `store`, `ops`); they all
//! import this one.

pub mod answer;
pub mod appraisal;
pub mod auth;
pub mod campaign;
pub mod clock;
mod code;
mod email;
mod likert;
pub mod lineage;
mod phone;
pub mod questionnaire;
pub mod response;
mod row;
pub mod states;
pub mod text;
mod token;
mod unit;

pub use answer::{Answer, AnswerError, Answers};
pub use campaign::Campaign;
pub use code::ShortCode;
pub use email::Email;
pub use likert::Likert;
pub use phone::{Phone, PhoneError};
pub use questionnaire::{Question, QuestionKind, Questionnaire};
pub use response::{Flag, StoredResponse};
pub use row::RowError;
pub use states::{AuditAction, InvitationStatus, MailStatus};
pub use token::Token;
pub use unit::{Unit, UnitCode, UnitCodeError, UnitKind, check_hierarchy};
