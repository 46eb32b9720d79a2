//! The codebook: every question of the campaign's questionnaires with its
//! code, kind and text, and every answer's code with its label, so that an
//! analyst can read the export and the workbook without the TOML files.

use serde::Serialize;
use sipas_shared::Campaign;
use sipas_shared::model::questionnaire::QuestionKind;

/// One question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CodebookQuestion {
    /// The questionnaire's title, and its id.
    pub questionnaire: String,
    pub questionnaire_id: String,
    /// The respondent groups that answer it.
    pub groups: Vec<String>,
    pub code: String,
    /// `likert5`, `single`, `multi`, `yesno`, `number` or `text`.
    pub kind: &'static str,
    pub text: String,
    /// The answers' codes and labels (the five levels 1–5 of a scale
    /// question, 1 / 0 of a yes/no one); none for numbers and text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<CodebookAnswer>,
    /// A quasi-identifier, generalised in the export (SPEC §10).
    pub identifying: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CodebookAnswer {
    pub code: String,
    pub label: String,
}

fn kind_name(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::Likert5 => "likert5",
        QuestionKind::Single => "single",
        QuestionKind::Multi => "multi",
        QuestionKind::Yesno => "yesno",
        QuestionKind::Number => "number",
        QuestionKind::Text => "text",
    }
}

/// The campaign's codebook, questionnaire by questionnaire in their order.
pub fn codebook(campaign: &Campaign) -> Vec<CodebookQuestion> {
    let mut out = Vec::new();
    for q in &campaign.questionnaires {
        let groups: Vec<String> =
            campaign.groups.iter().filter(|g| g.questionnaire == q.id).map(|g| g.name.clone()).collect();
        for question in q.questions() {
            let answers = match question.kind {
                QuestionKind::Likert5 => question
                    .level_labels(q, false)
                    .iter()
                    .enumerate()
                    .map(|(i, label)| CodebookAnswer { code: (i + 1).to_string(), label: label.clone() })
                    .collect(),
                QuestionKind::Yesno => vec![
                    CodebookAnswer { code: "1".into(), label: "Có".into() },
                    CodebookAnswer { code: "0".into(), label: "Không".into() },
                ],
                QuestionKind::Single | QuestionKind::Multi => question
                    .options
                    .iter()
                    .map(|o| CodebookAnswer { code: o.code.clone(), label: o.label.clone() })
                    .collect(),
                QuestionKind::Number | QuestionKind::Text => Vec::new(),
            };
            out.push(CodebookQuestion {
                questionnaire: q.title.clone(),
                questionnaire_id: q.id.clone(),
                groups: groups.clone(),
                code: question.code.clone(),
                kind: kind_name(question.kind),
                text: question.text.clone(),
                answers,
                identifying: question.identifying,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_codebook_names_every_question_and_code() {
        let campaign = Campaign::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/quang-binh/campaign.toml"),
        )
        .expect("example");
        let book = codebook(&campaign);
        let questions: usize = campaign.questionnaires.iter().map(|q| q.questions().count()).sum();
        assert_eq!(book.len(), questions, "every question once");
        let hl1 = book.iter().find(|q| q.code == "HL1").expect("HL1");
        assert_eq!(hl1.kind, "likert5");
        assert_eq!(hl1.answers.len(), 5);
        assert_eq!(hl1.answers[0].code, "1");
        assert!(hl1.groups.iter().any(|g| g.starts_with("Người dân")), "{:?}", hl1.groups);
        assert_eq!(hl1.answers.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(), ["1", "2", "3", "4", "5"]);
    }
}
