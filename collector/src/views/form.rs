//! The questionnaire form: fieldsets with legends, large tap targets, every
//! input labelled; skip logic and required answers are decided on the server,
//! so the form works with JavaScript off.

use super::text::{Key, Lang};
use maud::{Markup, PreEscaped, html};
use sipas_shared::model::questionnaire::{Question, QuestionKind, Questionnaire, Scalar};
use std::collections::{BTreeMap, BTreeSet};

/// A banner above the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Saved for later, with how to come back: the invitation's short code
    /// and the address to type it at, or (a counter's link, which has no
    /// code) the page's own address to bookmark.
    Saved(Resume),
    Fix,
}

impl From<Resume> for Notice {
    fn from(r: Resume) -> Self {
        Notice::Saved(r)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    Code { code: String, at: String },
    Link(String),
}

/// Everything the form page shows.
pub struct FormPage<'a> {
    pub lang: Lang,
    pub title_unit: &'a str,
    pub questionnaire: &'a Questionnaire,
    /// Answers so far, by question code (cell form).
    pub cells: &'a BTreeMap<String, String>,
    /// Messages by question code.
    pub errors: &'a BTreeMap<String, String>,
    pub notice: Option<Notice>,
    /// Where the form posts.
    pub action: &'a str,
    /// Staff keying a paper ballot: fields shown above the questions (unit,
    /// field, CSRF token); the form then has no "save for later".
    pub keying: Option<Markup>,
    /// On a counter's tablet: the start page it returns to when left idle;
    /// no "save for later" on a shared device.
    pub kiosk: Option<&'a str>,
    /// When the page was made, signed (`t`): how long answering took.
    pub stamp: Option<&'a str>,
}

/// A questionnaire left untouched this long on a kiosk goes back to its start.
pub const KIOSK_IDLE_SECS: u32 = 120;

/// Hides questions whose condition is not met, live; without it they stay
/// visible with a note, and the server ignores their answers.
pub(crate) const SKIP_SCRIPT: &str = "document.querySelectorAll('[data-if]').forEach(function(f){var n='q.'+f.dataset.if,v=f.dataset.values.split(' ');function u(){var on=[].some.call(document.getElementsByName(n),function(i){return i.checked&&v.indexOf(i.value)>=0});f.hidden=!on}document.getElementsByName(n).forEach(function(i){i.addEventListener('change',u)});u()})";

fn pick<'a>(lang: Lang, vi: &'a str, en: Option<&'a String>) -> &'a str {
    match (lang, en) {
        (Lang::En, Some(e)) => e,
        _ => vi,
    }
}

fn condition_values(q: &Question) -> Vec<String> {
    q.show_if
        .iter()
        .flat_map(|c| c.equals.iter().chain(c.any_of.iter()))
        .map(|s| match s {
            Scalar::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Text(t) => t.clone(),
        })
        .collect()
}

/// The label a condition value stands for, for the "answer only if" note.
fn value_label(lang: Lang, questionnaire: &Questionnaire, code: &str, value: &str) -> String {
    let Some(q) = questionnaire.question(code) else { return value.to_owned() };
    match q.kind {
        QuestionKind::Yesno => lang.t(if value == "1" { Key::Yes } else { Key::No }).to_owned(),
        QuestionKind::Likert5 => value
            .parse::<usize>()
            .ok()
            .and_then(|v| q.level_labels(questionnaire, lang == Lang::En).get(v.wrapping_sub(1)).cloned())
            .unwrap_or_else(|| value.to_owned()),
        _ => q
            .options
            .iter()
            .find(|o| o.code == value)
            .map_or_else(|| value.to_owned(), |o| pick(lang, &o.label, o.label_en.as_ref()).to_owned()),
    }
}

fn choice(
    name: &str,
    id: String,
    kind: &str,
    value: &str,
    checked: bool,
    label: &str,
    describedby: Option<&str>,
) -> Markup {
    html! {
        label.opt for=(id) {
            input type=(kind) id=(id) name=(name) value=(value) checked[checked] aria-describedby=[describedby];
            span { (label) }
        }
    }
}

fn question(p: &FormPage<'_>, q: &Question, number: usize) -> Markup {
    let lang = p.lang;
    let name = format!("q.{}", q.code);
    let current = p.cells.get(&q.code).map(String::as_str).unwrap_or("");
    let error = p.errors.get(&q.code);
    let err_id = format!("err-{}", q.code);
    let described = error.map(|_| err_id.as_str());
    let text = pick(lang, &q.text, q.text_en.as_ref());
    let cond = q.show_if.as_ref().map(|c| (c.question.clone(), condition_values(q)));
    let id = |suffix: &str| format!("{}-{suffix}", q.code);
    let body = match q.kind {
        QuestionKind::Likert5 => {
            let labels = q.level_labels(p.questionnaire, lang == Lang::En);
            html! {
                @for (i, label) in labels.iter().enumerate().rev() {
                    @let v = (i + 1).to_string();
                    (choice(&name, id(&v), "radio", &v, current == v, &format!("{v} · {label}"), described))
                }
                @if q.dont_know {
                    (choice(&name, id("0"), "radio", "0", current == "0", lang.t(Key::DontKnow), described))
                }
            }
        }
        QuestionKind::Yesno => html! {
            (choice(&name, id("1"), "radio", "1", current == "1", lang.t(Key::Yes), described))
            (choice(&name, id("0"), "radio", "0", current == "0", lang.t(Key::No), described))
        },
        QuestionKind::Single | QuestionKind::Multi => {
            let picked: BTreeSet<&str> = current.split(';').collect();
            let kind = if q.kind == QuestionKind::Single { "radio" } else { "checkbox" };
            html! {
                @for o in &q.options {
                    (choice(&name, id(&o.code), kind, &o.code, picked.contains(o.code.as_str()), pick(lang, &o.label, o.label_en.as_ref()), described))
                }
            }
        }
        // The legend already says the question: the box is named by it
        // rather than by a second copy of its text.
        QuestionKind::Number => html! {
            input type="number" inputmode="decimal" id=(id("n")) name=(name) value=(current) aria-labelledby=(id("l"))
                min=[q.min.map(|m| m.to_string())] max=[q.max.map(|m| m.to_string())] step="any" aria-describedby=[described];
        },
        QuestionKind::Text => html! {
            textarea id=(id("t")) name=(name) rows="3" aria-labelledby=(id("l")) maxlength=(q.max_length.unwrap_or(sipas_shared::model::questionnaire::DEFAULT_TEXT_LIMIT)) aria-describedby=[described] { (current) }
        },
    };
    html! {
        fieldset id=(format!("q-{}", q.code)) class=[error.map(|_| "bad")]
            data-if=[cond.as_ref().map(|c| c.0.clone())] data-values=[cond.as_ref().map(|c| c.1.join(" "))] {
            legend id=(id("l")) {
                (number) ". " (text)
                @if q.required && q.show_if.is_none() { " " span.req aria-hidden="true" { "*" } }
            }
            @if let Some((code, values)) = &cond {
                p.note {
                    (lang.t(Key::OnlyIf)) " "
                    (values.iter().map(|v| value_label(lang, p.questionnaire, code, v)).collect::<Vec<_>>().join(", "))
                }
            }
            @if let Some(e) = error { p.err id=(err_id) { (e) } }
            (body)
        }
    }
}

pub fn form_page(p: &FormPage<'_>) -> Markup {
    let lang = p.lang;
    let q = p.questionnaire;
    let total_sections = q.sections.len();
    let subtitle = format!("{}: {}", lang.t(Key::Unit), p.title_unit);
    // Questions are numbered across sections.
    let offsets: Vec<usize> = q
        .sections
        .iter()
        .scan(0, |acc, s| {
            let start = *acc;
            *acc += s.questions.len();
            Some(start)
        })
        .collect();
    let kiosk = p.kiosk.map(|back_to| super::Kiosk { back_to, after: KIOSK_IDLE_SECS });
    super::layout_on(
        lang,
        pick(lang, &q.title, q.title_en.as_ref()),
        Some(&subtitle),
        html! {
            @match &p.notice {
                Some(Notice::Saved(resume)) => div.ok role="status" {
                    p { (lang.t(Key::Saved)) }
                    @match resume {
                        Resume::Code { code, at } => {
                            p { (lang.t(Key::ResumeCode)) " " strong.resume-code { (code) } }
                            p { (lang.t(Key::ResumeWhere)) " " strong { (at) } }
                        }
                        Resume::Link(link) => p { (lang.t(Key::ResumeLink)) " " span.resume-link { (link) } },
                    }
                },
                Some(Notice::Fix) => div.alert role="alert" { (lang.t(Key::Fix)) },
                None => {},
            }
            @if p.keying.is_some() {
                // The one keying reads this, not the respondent: what to type.
                p {
                    "Nhập phiếu giấy đúng như người trả lời đã đánh dấu: mỗi câu một lựa chọn, câu nào bỏ trống trên giấy thì để trống. "
                    "Phiếu được lưu kín như phiếu trực tuyến và vào số liệu cùng các phiếu khác của ô."
                }
                p.note { (lang.t(Key::Required)) }
            } @else if let Some(intro) = match lang { Lang::En => q.intro_en.as_ref().or(q.intro.as_ref()), Lang::Vi => q.intro.as_ref() } {
                p { (intro) }
                p.note { (lang.t(Key::Required)) }
            } @else {
                p.note { (lang.t(Key::Anonymous)) " " (lang.t(Key::Required)) }
            }
            form method="post" action=(p.action) {
                @if let Some(k) = &p.keying { (k) }
                @if let Some(t) = p.stamp { input type="hidden" name="t" value=(t); }
                @for (si, section) in q.sections.iter().enumerate() {
                    h2.sec { (lang.t(Key::Section)) " " (si + 1) "/" (total_sections) ": " (pick(lang, &section.title, section.title_en.as_ref())) }
                    @for (qi, item) in section.questions.iter().enumerate() {
                        (question(p, item, offsets[si] + qi + 1))
                    }
                }
                button.go type="submit" name="action" value="submit" { (lang.t(Key::Submit)) }
                @if p.keying.is_none() && p.kiosk.is_none() {
                    button.save type="submit" name="action" value="save" formnovalidate { (lang.t(Key::Save)) }
                }
            }
            script { (PreEscaped(SKIP_SCRIPT)) }
        },
        kiosk,
    )
}
