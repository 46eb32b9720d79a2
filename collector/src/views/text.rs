//! The respondent pages' own words, in Vietnamese and English.

/// Page language: Vietnamese by default, English with `?lang=en`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn from_query(q: Option<&str>) -> Lang {
        if q == Some("en") { Lang::En } else { Lang::Vi }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// `?lang=en` to carry the language through a form, empty for Vietnamese.
    pub fn query(self) -> &'static str {
        match self {
            Lang::Vi => "",
            Lang::En => "?lang=en",
        }
    }

    pub fn t(self, key: Key) -> &'static str {
        use Key::*;
        match (self, key) {
            (Lang::Vi, Unit) => "Đơn vị được đánh giá",
            (Lang::En, Unit) => "Office evaluated",
            (Lang::Vi, Section) => "Phần",
            (Lang::En, Section) => "Part",
            (Lang::Vi, Required) => "Câu có dấu * là bắt buộc.",
            (Lang::En, Required) => "Questions marked * are required.",
            (Lang::Vi, Submit) => "Gửi phiếu",
            (Lang::En, Submit) => "Send my answers",
            (Lang::Vi, Save) => "Lưu để làm tiếp sau",
            (Lang::En, Save) => "Save and finish later",
            (Lang::Vi, Saved) => "Đã lưu các câu đã trả lời.",
            (Lang::En, Saved) => "Your answers so far are saved.",
            (Lang::Vi, ResumeCode) => "Để làm tiếp, ghi lại mã phiếu này:",
            (Lang::En, ResumeCode) => "To continue later, write down this code:",
            (Lang::Vi, ResumeWhere) => "Khi cần, vào địa chỉ sau và nhập mã:",
            (Lang::En, ResumeWhere) => "Then open this address and type the code:",
            (Lang::Vi, ResumeLink) => "Để làm tiếp, hãy lưu (đánh dấu) đường dẫn của trang này:",
            (Lang::En, ResumeLink) => "To continue later, bookmark the address of this page:",
            (Lang::Vi, TypeCode) => "Có mã 8 ký tự trên phiếu mời? Nhập mã tại đây",
            (Lang::En, TypeCode) => "Have the 8-character code of your invitation? Type it here",
            (Lang::Vi, Fix) => "Phiếu chưa gửi được. Vui lòng xem lại các câu được đánh dấu bên dưới.",
            (Lang::En, Fix) => "Your answers were not sent yet. Please check the questions marked below.",
            (Lang::Vi, Yes) => "Có",
            (Lang::En, Yes) => "Yes",
            (Lang::Vi, No) => "Không",
            (Lang::En, No) => "No",
            (Lang::Vi, DontKnow) => "Không biết / không trả lời",
            (Lang::En, DontKnow) => "Don't know / no answer",
            (Lang::Vi, OnlyIf) => "Chỉ trả lời nếu ở câu trước Ông/Bà chọn:",
            (Lang::En, OnlyIf) => "Answer only if you chose, in an earlier question:",
            (Lang::Vi, Thanks) => "Cảm ơn Ông/Bà",
            (Lang::En, Thanks) => "Thank you",
            (Lang::Vi, ThanksBody) => "Phiếu của Ông/Bà đã được ghi nhận. Câu trả lời được tổng hợp ẩn danh.",
            (Lang::En, ThanksBody) => "Your answers have been recorded. They are pooled anonymously.",
            (Lang::Vi, Already) => "Phiếu này đã được trả lời",
            (Lang::En, Already) => "This questionnaire has already been answered",
            (Lang::Vi, AlreadyBody) => "Mỗi đường dẫn chỉ dùng cho một phiếu. Cảm ơn Ông/Bà đã tham gia.",
            (Lang::En, AlreadyBody) => "Each link is for one questionnaire only. Thank you for taking part.",
            (Lang::Vi, Closed) => "Đợt khảo sát không nhận phiếu lúc này",
            (Lang::En, Closed) => "The survey is not open now",
            (Lang::Vi, ClosedBody) => "Đợt khảo sát nhận phiếu từ",
            (Lang::En, ClosedBody) => "The survey takes answers from",
            (Lang::Vi, NotFound) => "Không tìm thấy phiếu",
            (Lang::En, NotFound) => "Questionnaire not found",
            (Lang::Vi, NotFoundBody) => {
                "Đường dẫn không đúng hoặc đã hết hiệu lực. Vui lòng kiểm tra lại mã trên phiếu mời."
            }
            (Lang::En, NotFoundBody) => {
                "The link is wrong or no longer valid. Please check the code on your invitation."
            }
            (Lang::Vi, CounterAsk) => "Ông/Bà vừa giải quyết thủ tục thuộc lĩnh vực nào?",
            (Lang::En, CounterAsk) => "Which field was the procedure you just completed in?",
            (Lang::Vi, OtherField) => "Khác / không rõ",
            (Lang::En, OtherField) => "Other / not sure",
            (Lang::Vi, Continue) => "Bắt đầu trả lời",
            (Lang::En, Continue) => "Start the questionnaire",
            (Lang::Vi, QuotaFull) => "Đã đủ số phiếu khảo sát",
            (Lang::En, QuotaFull) => "Enough answers have been collected",
            (Lang::Vi, QuotaFullBody) => {
                "Đơn vị đã nhận đủ số phiếu của đợt khảo sát này. Cảm ơn Ông/Bà đã sẵn lòng tham gia."
            }
            (Lang::En, QuotaFullBody) => {
                "This office has all the answers it needs for this survey. Thank you for offering to take part."
            }
            (Lang::Vi, Anonymous) => "Phiếu không ghi tên. Sau khi gửi, câu trả lời không thể lần ra người trả lời.",
            (Lang::En, Anonymous) => "Anonymous: once sent, answers cannot be traced back to you.",
            (Lang::Vi, CodeTitle) => "Nhập mã phiếu",
            (Lang::En, CodeTitle) => "Enter your slip's code",
            (Lang::Vi, CodeAsk) => "Mã in trên phiếu mời (8 ký tự, ví dụ ABCD-1234):",
            (Lang::En, CodeAsk) => "The code printed on your invitation (8 characters, e.g. ABCD-1234):",
            (Lang::Vi, CodeMalformed) => "Mã phải gồm 8 chữ cái hoặc chữ số, ví dụ ABCD-1234. Xin kiểm tra lại.",
            (Lang::En, CodeMalformed) => "A code is 8 letters or digits, e.g. ABCD-1234. Please check it.",
            (Lang::Vi, CodeUnknown) => "Không tìm thấy phiếu có mã này, hoặc phiếu chưa được phát. Xin kiểm tra lại.",
            (Lang::En, CodeUnknown) => "No open invitation has this code. Please check it.",
        }
    }
}

/// Every phrase of the respondent pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Unit,
    Section,
    Required,
    Submit,
    Save,
    Saved,
    ResumeCode,
    ResumeWhere,
    ResumeLink,
    TypeCode,
    Fix,
    Yes,
    No,
    DontKnow,
    OnlyIf,
    Thanks,
    ThanksBody,
    Already,
    AlreadyBody,
    Closed,
    ClosedBody,
    NotFound,
    NotFoundBody,
    Anonymous,
    CounterAsk,
    OtherField,
    Continue,
    QuotaFull,
    QuotaFullBody,
    CodeTitle,
    CodeAsk,
    CodeMalformed,
    CodeUnknown,
}

/// An answer's fault, in the page's language.
pub fn answer_error(lang: Lang, e: &sipas_shared::AnswerError) -> String {
    use sipas_shared::AnswerError as E;
    match lang {
        Lang::Vi => e.to_string(),
        Lang::En => match e {
            E::Required => "This question needs an answer".into(),
            E::UnknownQuestion => "This question is not in the questionnaire".into(),
            E::OutOfScale => "Pick a level from 1 to 5".into(),
            E::UnknownOption(o) => format!("Option «{o}» is not one of this question's"),
            E::OneOptionOnly => "Pick only one option".into(),
            E::NotYesNo => "Answer Yes or No".into(),
            E::NotANumber => "Enter a number".into(),
            E::NumberOutOfRange(lo, hi) => format!("The number must be between {lo} and {hi}"),
            E::TooLong(n) => format!("The answer is longer than {n} characters"),
        },
    }
}
