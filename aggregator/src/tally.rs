//! Counts per unit × group × field and question: the one pass over responses
//! that every index and table is computed from.
//!
//! Tallies merge (a commutative monoid), so a report over any breakdown or
//! rollup is a merge of the finest cells, and two halves of the data give the
//! same result as the whole. Memory grows with the number of cells, never with
//! the number of responses.

use rust_decimal::Decimal;
use sipas_shared::model::campaign::Campaign;
use sipas_shared::model::questionnaire::{Question, QuestionKind};
use sipas_shared::store::StoredResponse;
use sipas_shared::{Answer, Questionnaire};
use std::collections::{BTreeMap, HashMap};

/// Answers to one question, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuestionTally {
    /// Likert levels 1..5.
    pub levels: [u64; 5],
    pub yes: u64,
    pub no: u64,
    /// `single` and `multi` option counts.
    pub options: BTreeMap<String, u64>,
    /// Respondents who picked at least one option, for `single` and `multi`.
    pub chose: u64,
    /// "Không biết / không trả lời": answered, but missing for every index.
    pub dont_know: u64,
    /// `number` answers: how many gave each value (exact mean and median).
    pub numbers: BTreeMap<Decimal, u64>,
}

impl QuestionTally {
    pub fn add(&mut self, answer: &Answer) {
        self.add_n(answer, 1);
    }

    /// Counts the same answer `n` times.
    pub fn add_n(&mut self, answer: &Answer, n: u64) {
        match answer {
            Answer::Likert(l) => self.levels[l.index()] += n,
            Answer::DontKnow => self.dont_know += n,
            Answer::YesNo(true) => self.yes += n,
            Answer::YesNo(false) => self.no += n,
            Answer::Choice(c) => {
                *self.options.entry(c.clone()).or_default() += n;
                self.chose += n;
            }
            Answer::Choices(cs) => {
                for c in cs {
                    *self.options.entry(c.clone()).or_default() += n;
                }
                self.chose += n;
            }
            Answer::Number(x) => *self.numbers.entry(x.normalize()).or_default() += n,
            Answer::Text(_) => {}
        }
    }

    /// Counts an answer cell as stored (SPEC §7 text form) `n` times;
    /// `false` when it does not parse for `question` (counted nowhere).
    pub fn add_cell(&mut self, question: &Question, raw: &str, n: u64) -> bool {
        // Fast path for the commonest cell: a Likert level.
        if question.kind == QuestionKind::Likert5
            && let [digit @ b'1'..=b'5'] = raw.as_bytes()
        {
            self.levels[usize::from(digit - b'1')] += n;
            return true;
        }
        match Answer::parse(question, raw) {
            Ok(Some(a)) => self.add_n(&a, n),
            Ok(None) => {}
            Err(_) => return false,
        }
        true
    }

    pub fn merge(&mut self, other: &QuestionTally) {
        for (a, b) in self.levels.iter_mut().zip(other.levels) {
            *a += b;
        }
        self.yes += other.yes;
        self.no += other.no;
        for (k, v) in &other.options {
            *self.options.entry(k.clone()).or_default() += v;
        }
        self.chose += other.chose;
        self.dont_know += other.dont_know;
        for (k, v) in &other.numbers {
            *self.numbers.entry(*k).or_default() += v;
        }
    }

    /// Valid (non-missing) answers on the five-level scale.
    pub fn likert_n(&self) -> u64 {
        self.levels.iter().sum()
    }
}

/// A breakdown cell: where responses came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    pub unit: String,
    pub group: String,
    pub field: Option<String>,
}

/// The responses of one cell, counted per question of the group's questionnaire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    pub responses: u64,
    /// Aligned with the questionnaire's questions, in order.
    pub questions: Vec<QuestionTally>,
}

impl Cell {
    fn new(len: usize) -> Self {
        Cell { responses: 0, questions: vec![QuestionTally::default(); len] }
    }

    /// An empty cell for a questionnaire of `len` questions.
    pub fn sized(len: usize) -> Self {
        Self::new(len)
    }

    pub fn merge(&mut self, other: &Cell) {
        self.responses += other.responses;
        if self.questions.len() < other.questions.len() {
            self.questions.resize(other.questions.len(), QuestionTally::default());
        }
        for (a, b) in self.questions.iter_mut().zip(&other.questions) {
            a.merge(b);
        }
    }
}

/// Question lookups prepared once per campaign, so the pass over a million
/// responses does no questionnaire search.
struct Layout<'c> {
    /// Group code → questionnaire index.
    group_questionnaire: HashMap<String, usize>,
    /// Per questionnaire: question code → (index, question).
    codes: Vec<HashMap<String, (usize, &'c Question)>>,
}

/// All cells of a campaign.
pub struct Aggregate<'c> {
    pub campaign: &'c Campaign,
    pub cells: BTreeMap<CellKey, Cell>,
    /// Stored cells that no longer match the questionnaire (edited after
    /// answers came in); left out of every index and counted here.
    pub ignored_answers: u64,
    /// Responses of a group the campaign no longer has.
    pub ignored_responses: u64,
    layout: Layout<'c>,
}

impl<'c> Aggregate<'c> {
    pub fn new(campaign: &'c Campaign) -> Self {
        let codes: Vec<HashMap<String, (usize, &'c Question)>> = campaign
            .questionnaires
            .iter()
            .map(|q| q.questions().enumerate().map(|(i, x)| (x.code.clone(), (i, x))).collect())
            .collect();
        let group_questionnaire = campaign
            .groups
            .iter()
            .filter_map(|g| {
                campaign.questionnaires.iter().position(|q| q.id == g.questionnaire).map(|i| (g.code.clone(), i))
            })
            .collect();
        Aggregate {
            campaign,
            cells: BTreeMap::new(),
            ignored_answers: 0,
            ignored_responses: 0,
            layout: Layout { group_questionnaire, codes },
        }
    }

    /// The questionnaire a group answers, with its index.
    pub fn questionnaire_of(&self, group: &str) -> Option<(usize, &'c Questionnaire)> {
        let i = *self.layout.group_questionnaire.get(group)?;
        Some((i, &self.campaign.questionnaires[i]))
    }

    /// A question of the group's questionnaire: its position and definition.
    pub fn question_of(&self, group: &str, code: &str) -> Option<(usize, &'c Question)> {
        let i = *self.layout.group_questionnaire.get(group)?;
        self.layout.codes[i].get(code).copied()
    }

    /// How many questions the group's questionnaire has (0 for an unknown group).
    pub fn questions_len(&self, group: &str) -> usize {
        self.layout.group_questionnaire.get(group).map_or(0, |i| self.layout.codes[*i].len())
    }

    /// Counts one response.
    pub fn add(&mut self, r: &StoredResponse) {
        let Some((qi, _)) = self.questionnaire_of(&r.group) else {
            self.ignored_responses += 1;
            return;
        };
        let codes = &self.layout.codes[qi];
        let key = CellKey { unit: r.unit.clone(), group: r.group.clone(), field: r.field.clone() };
        let len = codes.len();
        let cell = self.cells.entry(key).or_insert_with(|| Cell::new(len));
        cell.responses += 1;
        for (code, raw) in &r.cells {
            let Some(&(i, question)) = codes.get(code) else {
                self.ignored_answers += 1;
                continue;
            };
            if !cell.questions[i].add_cell(question, raw, 1) {
                self.ignored_answers += 1;
            }
        }
    }

    /// Counts what the store tallied as answers arrived: the same cells as
    /// [`Aggregate::add`] over every response, each distinct answer parsed once.
    pub fn add_tallies(&mut self, t: &sipas_shared::store::Tallies) {
        for (unit, group, field, n) in &t.cells {
            let Some((qi, _)) = self.questionnaire_of(group) else {
                self.ignored_responses += u64::try_from(*n).unwrap_or_default();
                continue;
            };
            let len = self.layout.codes[qi].len();
            let key = CellKey { unit: unit.clone(), group: group.clone(), field: field.clone() };
            self.cells.entry(key).or_insert_with(|| Cell::new(len)).responses += u64::try_from(*n).unwrap_or_default();
        }
        for tallied in &t.answers {
            let Some((qi, _)) = self.questionnaire_of(&tallied.group) else { continue };
            let codes = &self.layout.codes[qi];
            let len = codes.len();
            let key =
                CellKey { unit: tallied.unit.clone(), group: tallied.group.clone(), field: tallied.field.clone() };
            let cell = self.cells.entry(key).or_insert_with(|| Cell::new(len));
            for (code, raw, n) in &tallied.rows {
                let n = u64::try_from(*n).unwrap_or_default();
                let Some(&(i, question)) = codes.get(code) else {
                    self.ignored_answers += n;
                    continue;
                };
                if !cell.questions[i].add_cell(question, raw, n) {
                    self.ignored_answers += n;
                }
            }
        }
    }

    /// Merges another aggregate of the same campaign into this one.
    pub fn merge(&mut self, other: &Aggregate<'_>) {
        for (k, c) in &other.cells {
            self.cells.entry(k.clone()).or_default().merge(c);
        }
        self.ignored_answers += other.ignored_answers;
        self.ignored_responses += other.ignored_responses;
    }

    /// The cells that pass `keep`, pooled per questionnaire (index → cell).
    pub fn pooled(&self, keep: impl Fn(&CellKey) -> bool) -> BTreeMap<usize, Cell> {
        let mut out: BTreeMap<usize, Cell> = BTreeMap::new();
        for (k, c) in self.cells.iter().filter(|(k, _)| keep(k)) {
            if let Some((qi, _)) = self.questionnaire_of(&k.group) {
                out.entry(qi).or_default().merge(c);
            }
        }
        out
    }

    /// Number of responses in the cells that pass `keep`.
    pub fn responses(&self, keep: impl Fn(&CellKey) -> bool) -> u64 {
        self.cells.iter().filter(|(k, _)| keep(k)).map(|(_, c)| c.responses).sum()
    }
}

/// Whether a question's answers count towards the scale-based tables.
pub fn is_scaled(kind: QuestionKind) -> bool {
    matches!(kind, QuestionKind::Likert5 | QuestionKind::Yesno)
}
