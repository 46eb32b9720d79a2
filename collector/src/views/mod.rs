//! Respondent pages (maud): small, fast on a cheap phone, usable without JavaScript.

pub mod form;
pub mod text;

pub use text::Lang;

use maud::{DOCTYPE, Markup, PreEscaped, html};

/// Inline, no external fonts: the whole page fits the first round trip.
const STYLE: &str = "\
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,Roboto,'Segoe UI',sans-serif;color:#1a1a1a;background:#f6f7f9}\
header{background:#1f3a5f;color:#fff;padding:.75rem 1rem}header p{margin:0;font-size:.9rem}\
main{max-width:40rem;margin:0 auto;padding:1rem}h1{font-size:1.25rem;margin:.25rem 0}\
fieldset{border:0;background:#fff;border-radius:8px;margin:0 0 1rem;padding:.75rem 1rem;box-shadow:0 1px 2px #0002}\
legend{font-weight:600;padding:0;float:left;width:100%;margin-bottom:.5rem}legend+*{clear:both}\
.sec{font-size:1.05rem;color:#1f3a5f;margin:1.5rem 0 .5rem}.req{color:#b00020}\
.opt{display:flex;align-items:center;gap:.6rem;min-height:44px;padding:.35rem .6rem;margin:.25rem 0;border:1px solid #c7ccd3;border-radius:6px;background:#fff}\
.opt input{width:1.3rem;height:1.3rem;margin:0;flex:none}.opt:has(input:checked){border-color:#1f3a5f;background:#e8eef7}\
.err{color:#b00020;font-weight:600;margin:.25rem 0}.bad{box-shadow:0 0 0 2px #b00020}.note{font-size:.9rem;color:#444}\
textarea,input[type=number]{width:100%;font:inherit;padding:.5rem;border:1px solid #8a929c;border-radius:6px}\
button{font:inherit;font-weight:600;padding:.8rem 1.2rem;border-radius:6px;border:2px solid #1f3a5f;margin:.25rem .5rem .25rem 0;min-height:48px}\
.go{background:#1f3a5f;color:#fff}.save{background:#fff;color:#1f3a5f}.box{background:#fff;border-radius:8px;padding:1rem;box-shadow:0 1px 2px #0002}\
.alert{background:#fdecea;border-left:4px solid #b00020;padding:.75rem 1rem;margin:0 0 1rem}.ok{background:#e7f4ea;border-left:4px solid #1e7b34;padding:.75rem 1rem;margin:0 0 1rem}";

/// The page frame shared by every respondent page.
pub fn layout(lang: Lang, title: &str, subtitle: Option<&str>, body: Markup) -> Markup {
    layout_on(lang, title, subtitle, body, None)
}

/// Large targets for a tablet on a counter, read at arm's length.
const KIOSK_STYLE: &str = ".kiosk{font-size:21px}.kiosk main{max-width:52rem}.kiosk .opt{min-height:64px;padding:.6rem 1rem}.kiosk .opt input{width:1.8rem;height:1.8rem}.kiosk button{min-height:80px;font-size:1.15em;padding:1rem 2rem}";

/// Goes to `data-back` (or reloads) `data-after` seconds after the last touch,
/// key or scroll: a page left alone resets itself, and a person still
/// answering is never cut off (WCAG 2.2.1; a `<meta refresh>` counts from
/// the page's load whatever the person does). Without JavaScript the page
/// falls back to the `<meta refresh>` inside `<noscript>`.
pub(crate) const RESET_SCRIPT: &str = "(function(){var b=document.body,s=+b.dataset.after*1000,u=b.dataset.back,t;function r(){clearTimeout(t);t=setTimeout(function(){if(u){location.href=u}else{location.reload()}},s)}['pointerdown','keydown','input','scroll'].forEach(function(e){addEventListener(e,r,{passive:true})});r()})()";

/// On a counter's tablet (kiosk): where the page goes by itself after `after`
/// seconds, so an abandoned or finished questionnaire never waits for the next
/// person.
pub struct Kiosk<'a> {
    pub back_to: &'a str,
    pub after: u32,
}

/// [`layout`], on a kiosk when `kiosk` says so.
pub fn layout_on(lang: Lang, title: &str, subtitle: Option<&str>, body: Markup, kiosk: Option<Kiosk<'_>>) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                @if let Some(k) = &kiosk { noscript { meta http-equiv="refresh" content=(format!("{};url={}", k.after, k.back_to)); } }
                title { (title) }
                style { (PreEscaped(STYLE)) @if kiosk.is_some() { (PreEscaped(KIOSK_STYLE)) } }
            }
            body class=[kiosk.is_some().then_some("kiosk")] data-after=[kiosk.as_ref().map(|k| k.after)] data-back=[kiosk.as_ref().map(|k| k.back_to)] {
                header {
                    h1 { (title) }
                    @if let Some(s) = subtitle { p { (s) } }
                }
                main { (body) }
                @if kiosk.is_some() { script { (PreEscaped(RESET_SCRIPT)) } }
            }
        }
    }
}

/// The counter page: which field the person just used.
pub fn counter_page(
    lang: Lang,
    title: &str,
    unit: &str,
    fields: &[String],
    action: &str,
    kiosk: Option<Kiosk<'_>>,
) -> Markup {
    use text::Key;
    let subtitle = format!("{}: {unit}", lang.t(Key::Unit));
    layout_on(
        lang,
        title,
        Some(&subtitle),
        html! {
            form method="post" action=(action) {
                fieldset {
                    legend { (lang.t(Key::CounterAsk)) }
                    @for (i, f) in fields.iter().enumerate() {
                        label.opt for=(format!("f{i}")) { input type="radio" id=(format!("f{i}")) name="field" value=(f) required; span { (f) } }
                    }
                    label.opt for="f-other" { input type="radio" id="f-other" name="field" value=(sipas_shared::store::release::OTHER_FIELD); span { (lang.t(Key::OtherField)) } }
                }
                button.go type="submit" { (lang.t(Key::Continue)) }
            }
            p.note { (lang.t(Key::Anonymous)) }
        },
        kiosk,
    )
}

/// The screen an enrolled device shows at the counter: a large QR code that
/// reloads every `refresh` seconds (by [`RESET_SCRIPT`], or `<meta refresh>` without JavaScript).
pub fn counter_screen(lang: Lang, title: &str, unit: &str, qr_svg: &str, refresh: u32) -> Markup {
    let (ask, note) = match lang {
        Lang::Vi => (
            "Mời Ông/Bà quét mã để đánh giá sự phục vụ",
            "Phiếu không hỏi họ tên hay số điện thoại. Mã đổi vài phút một lần.",
        ),
        Lang::En => (
            "Scan the code to rate the service",
            "The questionnaire asks no name or phone. The code changes every few minutes.",
        ),
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                noscript { meta http-equiv="refresh" content=(refresh); }
                title { (title) }
                style { (PreEscaped(STYLE)) ".screen{text-align:center}.screen svg{width:min(80vw,70vh);height:auto}" }
            }
            body.screen data-after=(refresh) {
                header { h1 { (ask) } p { (unit) } }
                main { div.qr { (PreEscaped(qr_svg)) } p.note { (note) } }
                script { (PreEscaped(RESET_SCRIPT)) }
            }
        }
    }
}

/// The page for a campaign outside its survey window.
pub fn closed(lang: Lang, campaign: &sipas_shared::Campaign) -> Markup {
    use text::Key;
    let window = format!(
        "{} {} – {}.",
        lang.t(Key::ClosedBody),
        campaign.opens.format("%d/%m/%Y"),
        campaign.closes.format("%d/%m/%Y")
    );
    message(lang, lang.t(Key::Closed), &[&window])
}

/// A short page with one message: thanks, already answered, closed, not found.
pub fn message(lang: Lang, title: &str, lines: &[&str]) -> Markup {
    layout(lang, title, None, html! { div.box { @for l in lines { p { (l) } } } })
}

/// A link that leads nowhere: what to check, and the page where the code of
/// a paper invitation can be typed instead.
pub fn not_found_page(lang: Lang) -> Markup {
    use text::Key;
    let to_code = match lang {
        Lang::Vi => "/k",
        Lang::En => "/k?lang=en",
    };
    layout(
        lang,
        lang.t(Key::NotFound),
        None,
        html! { div.box { p { (lang.t(Key::NotFoundBody)) } p { a href=(to_code) { (lang.t(Key::TypeCode)) } } } },
    )
}
