//! Invitations to hand out: printable A4 slips (8 a page, each with the unit,
//! the QR, the link and a code to type) and a CSV for an SMS gateway.
//! Only open invitations are printed; reserves appear once released.

use crate::qr::link;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use sipas_shared::Campaign;
use sipas_shared::store::field::Slip;

/// Slips on one A4 page: two columns of four.
pub const PER_PAGE: usize = 8;

/// A4 with a 6 mm margin every printer can print (198 × 285 mm): two columns
/// of four slips of 99 × 71 mm, fixed sizes so no page drifts into the next,
/// each slip kept whole on its page and its text clipped to its box whatever
/// the names or the link's length.
const PRINT_STYLE: &str = "\
@page{size:A4;margin:6mm}*{box-sizing:border-box}html,body{margin:0;padding:0}\
body{font:9pt/1.25 'Times New Roman','Liberation Serif',serif;color:#000}\
.sheet{width:198mm;height:284mm;display:grid;grid-template-columns:99mm 99mm;grid-template-rows:repeat(4,71mm);\
overflow:hidden;break-after:page;page-break-after:always}.sheet:last-of-type{break-after:auto;page-break-after:auto}\
.slip{border:1px dashed #888;padding:3.5mm;display:grid;grid-template-columns:29mm 1fr;column-gap:3mm;\
overflow:hidden;break-inside:avoid;page-break-inside:avoid}\
.slip svg{width:29mm;height:29mm;display:block}.qr .code{margin-top:2mm;text-align:center}\
.slip .text{overflow:hidden;min-width:0}.slip h2{font-size:9pt;margin:0 0 1mm}.slip p{margin:0 0 .8mm}\
.clamp2,.clamp3,.slip h2{display:-webkit-box;-webkit-box-orient:vertical;overflow:hidden}\
.clamp2{-webkit-line-clamp:2}.clamp3,.slip h2{-webkit-line-clamp:3}\
.code{font:bold 12pt monospace;letter-spacing:.5px;white-space:nowrap}.url{font:6.5pt/1.2 monospace;word-break:break-all}\
.small{font-size:8pt}.foot{font-size:7.5pt;color:#222}\
@media screen{body{background:#ddd}.sheet{background:#fff;margin:5mm auto;padding:0;box-shadow:0 0 3mm #0004}}";

/// Only what may still be answered goes on paper or out by SMS.
pub fn printable(slips: &[Slip]) -> Vec<&Slip> {
    slips.iter().filter(|s| s.status == sipas_shared::model::InvitationStatus::Issued).collect()
}

fn qr_svg(text: &str) -> String {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map(|c| c.render::<svg::Color>().quiet_zone(false).build())
        .unwrap_or_default()
}

/// Sheets to print: 8 slips a sheet, and a sheet never holds two units, so
/// each commune's run of pages can be handed to it as printed.
pub fn sheets<'a>(campaign: &Campaign, slips: &[&'a Slip]) -> Vec<Vec<&'a Slip>> {
    let order = |code: &str| campaign.units.iter().position(|u| u.code.as_str() == code).unwrap_or(usize::MAX);
    let mut sorted: Vec<&Slip> = slips.to_vec();
    sorted.sort_by_key(|s| (order(&s.unit), s.unit.clone()));
    let mut out: Vec<Vec<&Slip>> = Vec::new();
    for s in sorted {
        match out.last_mut() {
            Some(sheet) if sheet.len() < PER_PAGE && sheet[0].unit == s.unit => sheet.push(s),
            _ => out.push(vec![s]),
        }
    }
    out
}

/// The page a unit (or a whole campaign) prints: 8 slips a sheet.
pub fn slips_html(campaign: &Campaign, slips: &[&Slip], public_url: &str) -> Markup {
    let entry = format!("{}/k", public_url.trim_end_matches('/'));
    let deadline = campaign.closes.format("%d/%m/%Y").to_string();
    let title = format!("Phiếu mời khảo sát – {}", campaign.name);
    printout(
        &title,
        PRINT_STYLE,
        html! {
                    @if slips.is_empty() {
                        p { "Không có phiếu mời nào đang mở: hãy chọn mẫu trước (sipas sample)." }
                    }
                    @for sheet in sheets(campaign, slips) {
                        section.sheet data-unit=(sheet[0].unit) {
                            @for s in sheet {
                                @let url = link(public_url, &s.token);
                                @let unit = campaign.unit(&s.unit).map_or(s.unit.as_str(), |u| u.name.as_str());
                                @let group = campaign.group(&s.group).map_or(s.group.as_str(), |g| g.name.as_str());
                                div.slip {
                                    div.qr {
                                        (PreEscaped(qr_svg(&url)))
                                        p.code { (display_code(&s.code)) }
                                    }
                                    div.text {
                                        h2 { (campaign.name) }
                                        p.clamp2 { b { (unit) } " · " (group) }
                                        @if let Some(c) = &s.contact {
                                            // A household's slip is delivered to its door, by post
                                            // or by the village head: the address goes with the name.
                                            @if campaign.group(&s.group).is_some_and(|g| g.households.is_some()) && !c.address.is_empty() {
                                                p.clamp2 { "Kính gửi: hộ " (c.name) " · " (c.address) }
                                            } @else {
                                                p.clamp2 { "Kính gửi: " (c.name) }
                                            }
                                        }
                                        p { "Xin trả lời trước ngày " b { (deadline) } "." }
                                        p.small.clamp3 { "Quét mã QR bằng điện thoại, hoặc vào " b { (entry) } " và nhập mã in dưới mã QR." }
                                        p.url.clamp3 { (url) }
                                        p.foot.clamp3 {
                                            "Phiếu ẩn danh, chỉ dùng một lần."
                                            @if let Some(c) = &campaign.contact { " Cần hỗ trợ: " (c) "." }
                                            @else if let Some(o) = &campaign.organiser { " " (o) "." }
                                        }
                                    }
                                }
                            }
                        }
                    }
        },
    )
}

const POSTER_STYLE: &str = "\
@page{size:A4;margin:12mm}*{box-sizing:border-box}html,body{margin:0;padding:0}\
body{font:14pt/1.35 'Times New Roman','Liberation Serif',serif;color:#000}\
.poster{height:272mm;display:flex;flex-direction:column;align-items:center;text-align:center;overflow:hidden;\
break-after:page;page-break-after:always}.poster:last-of-type{break-after:auto;page-break-after:auto}\
.poster h1{font-size:24pt;margin:0 0 3mm}.poster h2{font-size:17pt;margin:0 0 6mm;font-weight:normal}\
.poster svg{width:110mm;height:110mm;display:block}.poster .link{font:bold 13pt monospace;word-break:break-all;margin:3mm 0 5mm}\
.poster ol{text-align:left;margin:0 auto 4mm;max-width:160mm}.poster li{margin:0 0 2mm}.poster .foot{font-size:11pt;margin-top:auto}\
@media screen{body{background:#ddd}.poster{background:#fff;width:186mm;margin:5mm auto;padding:6mm;box-shadow:0 0 3mm #0004}}";

/// Why a campaign gets no printed counter posters.
pub const NO_POSTERS: &str = "đợt này không cho phép áp phích mã cố định (counter_poster = false trong tệp đợt): \
    tại quầy hãy dùng màn hình QR đổi mã (sipas counter enrol), an toàn hơn vì ảnh chụp mã không dùng lại được";

/// An A4 poster per unit for its one-stop counter: the fixed QR, the short
/// link, what to do, in large type.
pub fn counter_posters_html(campaign: &Campaign, units: &[&sipas_shared::model::Unit], public_url: &str) -> Markup {
    let deadline = campaign.closes.format("%d/%m/%Y").to_string();
    let title = format!("Áp phích Bộ phận một cửa – {}", campaign.name);
    // The counter's questionnaire is the citizens' (the group drawn from counters).
    let minutes = campaign
        .groups
        .iter()
        .find(|g| g.frame)
        .and_then(|g| campaign.questionnaire_of(&g.code))
        .map_or(5, sipas_shared::Questionnaire::minutes);
    printout(
        &title,
        POSTER_STYLE,
        html! {
                    @for u in units {
                        @let url = crate::qr::counter_link(public_url, &campaign.id, u.code.as_str());
                        section.poster data-unit=(u.code) {
                            h1 { "Ông/Bà hài lòng với sự phục vụ hôm nay?" }
                            h2 { (u.name) " · Bộ phận một cửa" }
                            (PreEscaped(qr_svg(&url)))
                            p.link { (url) }
                            ol {
                                li { "Mở máy ảnh của điện thoại, hướng vào mã QR (hoặc gõ địa chỉ ở trên)." }
                                li { "Chọn lĩnh vực thủ tục Ông/Bà vừa giải quyết." }
                                li { "Trả lời khoảng " (minutes) " phút rồi bấm «Gửi phiếu»." }
                            }
                            p { "Phiếu " b { "ẩn danh" } ": không hỏi tên, số điện thoại. Mỗi lần giao dịch một phiếu. Nhận ý kiến đến hết ngày " b { (deadline) } "." }
                            p.foot {
                                (campaign.name)
                                @if let Some(o) = &campaign.organiser { br; (o) }
                                @if let Some(c) = &campaign.contact { br; "Cần hỗ trợ: " (c) }
                            }
                        }
                    }
        },
    )
}

/// A document meant for the printer: its title, its print style, its pages.
fn printout(title: &str, style: &str, pages: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                title { (title) }
                style { (PreEscaped(style)) }
            }
            body { (pages) }
        }
    }
}

/// The units that take citizens at a counter: those with a quota for a
/// group drawn from a frame.
pub fn counter_units<'a>(campaign: &'a Campaign, only: Option<&str>) -> Vec<&'a sipas_shared::model::Unit> {
    let quotas = campaign.quotas();
    campaign
        .units
        .iter()
        .filter(|u| only.is_none_or(|o| u.code.as_str() == o))
        .filter(|u| {
            quotas.iter().any(|q| {
                q.unit.as_str() == u.code.as_str() && q.quota > 0 && campaign.group(&q.group).is_some_and(|g| g.frame)
            })
        })
        .collect()
}

/// `ABCD1234` as printed: `ABCD-1234`.
pub fn display_code(code: &str) -> String {
    sipas_shared::model::ShortCode::parse(code).map_or_else(|| code.to_owned(), |c| c.to_string())
}

/// The text sent by SMS: the unit, the link and the code.
pub fn sms_text(campaign: &Campaign, slip: &Slip, public_url: &str) -> String {
    let unit = campaign.unit(&slip.unit).map_or(slip.unit.as_str(), |u| u.name.as_str());
    let minutes = campaign.questionnaire_of(&slip.group).map_or(5, sipas_shared::Questionnaire::minutes);
    format!(
        "{unit} mời Ông/Bà đánh giá mức độ hài lòng (ẩn danh, khoảng {minutes} phút): {} Mã phiếu: {}",
        link(public_url, &slip.token),
        display_code(&slip.code)
    )
}

/// One SMS segment holds 160 characters of the GSM alphabet, but only 70
/// once a single Vietnamese letter is in it.
pub const SMS_SEGMENT: usize = 160;

/// `text` without diacritics (đ → d) and with nothing outside printable ASCII.
fn ascii(text: &str) -> String {
    text.chars()
        .map(sipas_shared::model::text::fold_vietnamese)
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .collect()
}

/// The same invitation in one SMS segment: ASCII, at most 160 characters,
/// saying less as the link gets longer.
pub fn sms_short(campaign: &Campaign, slip: &Slip, public_url: &str) -> String {
    let unit = campaign.unit(&slip.unit).map_or(slip.unit.as_str(), |u| u.name.as_str());
    let (url, code) = (link(public_url, &slip.token), display_code(&slip.code));
    let entry = format!("{}/k", public_url.trim_end_matches('/'));
    [
        format!("{} moi Ong/Ba danh gia muc do hai long (an danh): {url} Ma phieu: {code}", ascii(unit)),
        format!("Moi Ong/Ba danh gia muc do hai long (an danh): {url} Ma: {code}"),
        format!("Danh gia hai long (an danh): vao {entry} nhap ma {code}"),
    ]
    .into_iter()
    .find(|t| t.chars().count() <= SMS_SEGMENT)
    .unwrap_or_else(|| format!("Danh gia hai long, ma phieu {code}"))
}

/// The SMS file's columns, in a fixed order that gateways may rely on (README).
pub const SMS_COLUMNS: [&str; 11] = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Nhóm",
    "Lĩnh vực",
    "Mã phiếu",
    "Họ và tên",
    "Số điện thoại",
    "Đường dẫn",
    "Tin nhắn",
    "Tin nhắn không dấu (1 tin)",
    "Gửi SMS",
];

/// CSV for an SMS gateway and for Excel (UTF-8 with BOM): who, which phone,
/// which link, the full message and a one-segment ASCII one; a row without
/// a phone says so and carries no message.
///
/// # Errors
/// Only if writing to memory fails.
pub fn slips_csv(campaign: &Campaign, slips: &[&Slip], public_url: &str) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(SMS_COLUMNS)?;
    for s in slips {
        let unit = campaign.unit(&s.unit).map_or("", |u| u.name.as_str());
        let group = campaign.group(&s.group).map_or(s.group.as_str(), |g| g.name.as_str());
        let (name, phone) = s.contact.as_ref().map_or(("", ""), |c| (c.name.as_str(), c.phone.as_str()));
        let (full, short, send) = if phone.is_empty() {
            (String::new(), String::new(), "không có số điện thoại")
        } else {
            (sms_text(campaign, s, public_url), sms_short(campaign, s, public_url), "có")
        };
        let cells = [
            s.unit.as_str(),
            unit,
            group,
            s.field.as_deref().unwrap_or(""),
            &display_code(&s.code),
            name,
            phone,
            &link(public_url, &s.token),
            &full,
            &short,
            send,
        ];
        let safe: Vec<_> = cells.iter().map(|c| sipas_shared::files::spreadsheet::defuse(c)).collect();
        w.write_record(safe.iter().map(|c| c.as_bytes()))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The parameters of the Zalo notification (ZNS) template the README
/// gives, in its order: the bulk-upload file's columns after `phone`.
pub const ZALO_PARAMS: [&str; 5] = ["ten", "don_vi", "so_phut", "ma_phieu", "ma_lien_ket"];

/// The longest value a ZNS template parameter takes.
pub const ZALO_VALUE_MAX: usize = 30;

/// A person's name within [`ZALO_VALUE_MAX`]: whole, or its last words (the
/// given name, by which the message greets).
fn zalo_name(name: &str) -> String {
    let mut words: Vec<&str> = name.split_whitespace().collect();
    while words.len() > 1 && words.join(" ").chars().count() > ZALO_VALUE_MAX {
        words.remove(0);
    }
    sipas_shared::model::text::ellipsis(&words.join(" "), ZALO_VALUE_MAX)
}

/// The bulk-upload file for Zalo's notification service (ZNS): one row per
/// invitation that has a phone, `phone` as 84xxxxxxxxx and then the
/// template's parameters ([`ZALO_PARAMS`]), each at most
/// [`ZALO_VALUE_MAX`] characters; UTF-8 with a BOM. The personal link is
/// the template's button, `PUBLIC_URL/{ma_lien_ket}`, the parameter being
/// `s/` and the token (a token may start with `-`, which a spreadsheet
/// would read as a formula; `s/` never is). Returns the file and how many
/// invitations had no phone and were left out.
///
/// # Errors
/// Only if writing to memory fails.
pub fn zalo_csv(campaign: &Campaign, slips: &[&Slip]) -> Result<(Vec<u8>, usize), csv::Error> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(std::iter::once("phone").chain(ZALO_PARAMS))?;
    let mut without_phone = 0;
    for s in slips {
        let Some(phone) = s.contact.as_ref().and_then(|c| sipas_shared::model::Phone::parse(&c.phone).ok()) else {
            without_phone += 1;
            continue;
        };
        let name = s.contact.as_ref().map_or("", |c| c.name.as_str());
        let unit = campaign.unit(&s.unit).map_or(s.unit.as_str(), |u| u.name.as_str());
        let minutes = campaign.questionnaire_of(&s.group).map_or(5, sipas_shared::Questionnaire::minutes);
        let cells = [
            phone.international().trim_start_matches('+').to_owned(),
            zalo_name(name),
            sipas_shared::model::text::ellipsis(unit, ZALO_VALUE_MAX),
            minutes.to_string(),
            display_code(&s.code),
            format!("s/{}", s.token),
        ];
        let safe: Vec<_> = cells.iter().map(|c| sipas_shared::files::spreadsheet::defuse(c).into_owned()).collect();
        w.write_record(&safe)?;
    }
    Ok((w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?, without_phone))
}
