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

const PRINT_STYLE: &str = "\
@page{size:A4;margin:0}*{box-sizing:border-box}body{margin:0;font:11pt/1.35 'Times New Roman',serif;color:#000}\
.sheet{width:210mm;height:297mm;display:grid;grid-template-columns:1fr 1fr;grid-template-rows:repeat(4,1fr);break-after:page}\
.slip{border:1px dashed #999;padding:5mm 6mm;display:flex;gap:4mm;overflow:hidden}\
.slip svg{width:32mm;height:32mm;flex:none}.slip h2{font-size:11pt;margin:0 0 1mm}.slip p{margin:0 0 1mm}\
.code{font:bold 14pt monospace;letter-spacing:1px}.url{font:8pt monospace;word-break:break-all}.small{font-size:9pt}\
@media screen{body{background:#ddd}.sheet{background:#fff;margin:5mm auto;box-shadow:0 0 3mm #0004}}";

/// Only what may still be answered goes on paper or out by SMS.
pub fn printable(slips: &[Slip]) -> Vec<&Slip> {
    slips.iter().filter(|s| s.status == "issued").collect()
}

fn qr_svg(text: &str) -> String {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map(|c| c.render::<svg::Color>().quiet_zone(false).build())
        .unwrap_or_default()
}

/// The page a unit prints: 8 slips a sheet.
pub fn slips_html(campaign: &Campaign, slips: &[&Slip], public_url: &str) -> Markup {
    let entry = format!("{}/k", public_url.trim_end_matches('/'));
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                title { "Phiếu mời khảo sát – " (campaign.name) }
                style { (PreEscaped(PRINT_STYLE)) }
            }
            body {
                @if slips.is_empty() {
                    p { "Không có phiếu mời nào đang mở: hãy chọn mẫu trước (sipas sample)." }
                }
                @for page in slips.chunks(PER_PAGE) {
                    section.sheet {
                        @for s in page {
                            @let url = link(public_url, &s.token);
                            @let unit = campaign.unit(&s.unit).map_or(s.unit.as_str(), |u| u.name.as_str());
                            @let group = campaign.group(&s.group).map_or(s.group.as_str(), |g| g.name.as_str());
                            div.slip {
                                (PreEscaped(qr_svg(&url)))
                                div {
                                    h2 { (campaign.name) }
                                    p { b { (unit) } " · " (group) }
                                    @if let Some(c) = &s.contact { p.small { "Kính gửi: " (c.name) } }
                                    p.small { "Quét mã QR bằng điện thoại, hoặc vào " b { (entry) } " và nhập mã:" }
                                    p.code { (display_code(&s.code)) }
                                    p.url { (url) }
                                    p.small { "Phiếu ẩn danh, chỉ dùng một lần." }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `ABCD1234` as printed: `ABCD-1234`.
pub fn display_code(code: &str) -> String {
    sipas_shared::domain::ShortCode::parse(code).map_or_else(|| code.to_owned(), |c| c.to_string())
}

/// The text sent by SMS: the unit, the link and the code.
pub fn sms_text(campaign: &Campaign, slip: &Slip, public_url: &str) -> String {
    let unit = campaign.unit(&slip.unit).map_or(slip.unit.as_str(), |u| u.name.as_str());
    format!(
        "{unit} mời Ông/Bà đánh giá mức độ hài lòng (ẩn danh, khoảng 5 phút): {} Mã phiếu: {}",
        link(public_url, &slip.token),
        display_code(&slip.code)
    )
}

/// CSV for an SMS gateway: who, which phone, which link, the message.
///
/// # Errors
/// Only if writing to memory fails.
pub fn slips_csv(campaign: &Campaign, slips: &[&Slip], public_url: &str) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // A BOM so Excel reads the Vietnamese correctly.
    w.write_record(["\u{feff}unit", "unit_name", "group", "field", "code", "name", "phone", "link", "sms"])?;
    for s in slips {
        let unit = campaign.unit(&s.unit).map_or("", |u| u.name.as_str());
        let (name, phone) = s.contact.as_ref().map_or(("", ""), |c| (c.name.as_str(), c.phone.as_str()));
        let cells = [
            s.unit.as_str(),
            unit,
            s.group.as_str(),
            s.field.as_deref().unwrap_or(""),
            &display_code(&s.code),
            name,
            phone,
            &link(public_url, &s.token),
            &sms_text(campaign, s, public_url),
        ];
        let safe: Vec<_> = cells.iter().map(|c| sipas_shared::spreadsheet::defuse(c)).collect();
        w.write_record(safe.iter().map(|c| c.as_bytes()))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
