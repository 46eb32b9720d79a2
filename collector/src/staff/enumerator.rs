//! `/enumerator`: the quota board per unit × group, the invitations of a unit
//! with the outcomes enumerators record, reserves released in one click, and
//! the keying form for paper ballots. An enumerator sees only assigned units.

use super::guard::{CampaignPath, FieldStaff, Posted, UnitPath, load_campaign};
use super::{FlashId, csrf_field, flash, page};
use crate::auth::Staff;
use crate::views::Lang;
use crate::views::form::{FormPage, form_page};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use sipas_shared::field::sampling::recommended_size;
use sipas_shared::model::InvitationStatus;
use sipas_shared::model::ShortCode;
use sipas_shared::store::field::{Audit, FieldError, Outcome, PaperBatch, Slip};
use sipas_shared::store::{QuotaStatus, StoredResponse};
use sipas_shared::{Campaign, StoreError};
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/enumerator", get(campaigns))
        .route("/enumerator/{campaign}", get(board))
        .route("/enumerator/{campaign}/{unit}", get(unit_page))
        .route("/enumerator/{campaign}/{unit}/outcome", post(outcome))
        .route("/enumerator/{campaign}/{unit}/replace", post(replace))
        .route("/enumerator/{campaign}/{unit}/reserves", post(more_reserves))
        .route("/enumerator/{campaign}/{unit}/ballot", get(ballot_form).post(key_ballot))
        .route("/enumerator/{campaign}/{unit}/withdraw", post(withdraw_ballot))
        .route("/enumerator/{campaign}/{unit}/slips", get(print_slips))
}

async fn campaigns(State(state): State<AppState>, FieldStaff(staff): FieldStaff) -> Result<Response, AppError> {
    let list = state.store.campaigns().await?;
    if let [only] = list.as_slice() {
        return Ok(Redirect::to(&format!("/enumerator/{}", only.id)).into_response());
    }
    Ok(page(
        "Tiến độ chỉ tiêu",
        Some(&staff),
        html! {
            @if list.is_empty() { p { "Chưa có đợt khảo sát nào." } }
            ul { @for c in &list { li { a href=(format!("/enumerator/{}", c.id)) { (c.name) } " (" (c.year) ")" } } }
        },
    )
    .into_response())
}

#[derive(Deserialize, Default)]
struct BoardQuery {
    sort: Option<String>,
    /// One group's rows, on a board of many units.
    group: Option<String>,
}

// Above this many units the board opens with a summary (each group, then
// each unit in one line) and shows a group's rows on demand.
use sipas_shared::model::campaign::UNITS_IN_FULL;

/// Share of the quota answered, for sorting and the bar.
fn done(r: &QuotaStatus) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    if r.quota > 0 { r.answered as f64 / r.quota as f64 } else { 1.0 }
}

/// A quota's progress bar, named for screen readers by its unit and group.
fn bar(r: &QuotaStatus, unit: &str, group: &str) -> Markup {
    let pct = (done(r) * 100.0).clamp(0.0, 100.0);
    let class = if pct >= 100.0 {
        "bar"
    } else if pct >= 50.0 {
        "bar mid"
    } else {
        "bar low"
    };
    let label = format!("Tiến độ {unit}, {group}: {} trên {} phiếu", r.answered, r.quota);
    html! {
        div class=(class) role="progressbar" aria-label=(label) aria-valuenow=(format!("{pct:.0}"))
            aria-valuemin="0" aria-valuemax="100" aria-valuetext=(format!("{pct:.0}%")) { span style=(format!("width:{pct:.0}%")) {} }
    }
}

async fn board(
    State(state): State<AppState>,
    FieldStaff(staff): FieldStaff,
    CampaignPath(campaign): CampaignPath,
    Query(q): Query<BoardQuery>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let mut rows: Vec<QuotaStatus> =
        state.store.quota_board(id).await?.into_iter().filter(|r| staff.user.may_work_on(id, &r.unit)).collect();
    let by_unit = q.sort.as_deref() == Some("unit");
    if !by_unit {
        // Furthest behind first: least of the quota answered, then most still to go.
        rows.sort_by(|a, b| {
            done(a).total_cmp(&done(b)).then(b.remaining().cmp(&a.remaining())).then(a.unit.cmp(&b.unit))
        });
    }
    let units = rows.iter().map(|r| r.unit.as_str()).collect::<std::collections::BTreeSet<_>>().len();
    let chosen = q.group.as_deref().and_then(|g| campaign.group(g));
    if units > UNITS_IN_FULL && chosen.is_none() {
        return Ok(page(
            &format!("Tiến độ chỉ tiêu – {}", campaign.name),
            Some(&staff),
            summary_board(&campaign, &rows, by_unit),
        )
        .into_response());
    }
    if let Some(g) = chosen {
        rows.retain(|r| r.group == g.code);
    }
    let mut frame: BTreeMap<String, u64> = BTreeMap::new();
    for r in state.store.frame_rows(id).await? {
        *frame.entry(r.unit).or_default() += 1;
    }
    let total = |f: fn(&QuotaStatus) -> i64| rows.iter().map(f).sum::<i64>();
    Ok(page(
        &format!("Tiến độ chỉ tiêu – {}", campaign.name),
        Some(&staff),
        html! {
            p.box {
                a href=(format!("/app/?dot={id}")) { "Ứng dụng phỏng vấn ngoại tuyến" }
                " — tải phiếu mời của đơn vị được giao về điện thoại, phỏng vấn khi không có mạng, gửi khi có mạng."
            }
            @if let Some(g) = chosen {
                p { "Nhóm: " strong { (g.name) } " · " a href=(format!("/enumerator/{id}")) { "về bảng tóm tắt" } }
            }
            @let group_query = chosen.map(|g| format!("&group={}", g.code)).unwrap_or_default();
            p.note {
                "Sắp xếp: "
                @if by_unit { a href=(format!("?sort=behind{group_query}")) { "chậm nhất trước" } " · theo đơn vị" } @else { "chậm nhất trước · " a href=(format!("?sort=unit{group_query}")) { "theo đơn vị" } }
            }
            @if rows.is_empty() { p { "Chưa có đơn vị nào được giao cho tài khoản này." } }
            div.wrap tabindex="0" role="region" aria-label="Tiến độ chỉ tiêu" { table {
                thead { tr {
                    th { "Đơn vị" } th { "Nhóm" } th { "Đã trả lời / chỉ tiêu" } th.n { "Còn thiếu" }
                    th.n.more { "Đã mời" } th.n.more { "Phiếu giấy chờ nhập" } th.n.more { "Từ chối" } th.n.more { "Không liên lạc được" }
                    th.n.more { "Dự phòng còn" } th.n.more title="n = N ÷ (1 + N·0,05²)" { "Cỡ mẫu nên có" }
                } }
                tbody {
                    @for r in &rows {
                        @let unit = campaign.unit(&r.unit).map_or(r.unit.as_str(), |u| u.name.as_str());
                        @let group = campaign.group(&r.group);
                        @let group_name = group.map_or(r.group.as_str(), |g| g.name.as_str());
                        tr {
                            td { a href=(format!("/enumerator/{id}/{}", r.unit)) { (unit) } }
                            td { (group_name) }
                            td { (r.answered) " / " (r.quota) (bar(r, unit, group_name)) }
                            td.n { b { (r.remaining()) } }
                            td.n.more { (r.invited) } td.n.more { (r.paper) } td.n.more { (r.refused) } td.n.more { (r.unreachable) }
                            td.n.more { (r.reserves) }
                            td.n.more {
                                @if group.is_some_and(|g| g.frame) {
                                    @let n = frame.get(&r.unit).copied().unwrap_or_default();
                                    @if n > 0 { (recommended_size(n, 0.05)) " / " (n) } @else { "–" }
                                } @else { "–" }
                            }
                        }
                    }
                }
                tfoot { tr {
                    th colspan="2" { "Cộng" } th { (total(|r| r.answered)) " / " (total(|r| r.quota)) } th.n { (total(QuotaStatus::remaining)) }
                    th.n.more { (total(|r| r.invited)) } th.n.more { (total(|r| r.paper)) } th.n.more { (total(|r| r.refused)) }
                    th.n.more { (total(|r| r.unreachable)) } th.n.more { (total(|r| r.reserves)) } th.more {}
                } }
            } }
            p.note { "Cỡ mẫu nên có: số phiếu cần để tỷ lệ hài lòng của đơn vị có sai số không quá ±5 điểm phần trăm (độ tin cậy 95 %), tính từ số người trong khung N: n = N ÷ (1 + N·0,05²). Chỉ tiêu của đợt có thể nhỏ hơn; khi đó kết quả của đơn vị có sai số lớn hơn, và báo cáo ghi khoảng tin cậy bên cạnh." }
            p.note.narrow { "Màn hình hẹp: xem đủ các cột (đã mời, từ chối, không liên lạc được, dự phòng) khi xoay ngang hoặc trên máy tính; từng người ở trang của đơn vị." }
        },
    )
    .into_response())
}

/// A board of many units: each group's progress, then each unit in one
/// line (its groups summed, the one furthest behind named), furthest behind
/// first; a group's own rows a click away.
fn summary_board(campaign: &sipas_shared::Campaign, rows: &[QuotaStatus], by_unit: bool) -> Markup {
    let id = campaign.id.as_str();
    let sum = |rs: &[&QuotaStatus]| QuotaStatus {
        answered: rs.iter().map(|r| r.answered).sum(),
        quota: rs.iter().map(|r| r.quota).sum(),
        ..QuotaStatus::default()
    };
    let mut groups: Vec<(&str, QuotaStatus)> = Vec::new();
    for g in &campaign.groups {
        let mine: Vec<&QuotaStatus> = rows.iter().filter(|r| r.group == g.code).collect();
        if !mine.is_empty() {
            groups.push((g.code.as_str(), sum(&mine)));
        }
    }
    let mut units: Vec<(&str, QuotaStatus, Option<&QuotaStatus>)> = Vec::new();
    for r in rows {
        if units.iter().any(|(u, _, _)| *u == r.unit) {
            continue;
        }
        let mine: Vec<&QuotaStatus> = rows.iter().filter(|x| x.unit == r.unit).collect();
        let behind = mine.iter().copied().filter(|x| x.remaining() > 0).min_by(|a, b| done(a).total_cmp(&done(b)));
        units.push((r.unit.as_str(), sum(&mine), behind));
    }
    if by_unit {
        units.sort_by(|a, b| a.0.cmp(b.0));
    } else {
        units.sort_by(|a, b| {
            done(&a.1).total_cmp(&done(&b.1)).then(b.1.remaining().cmp(&a.1.remaining())).then(a.0.cmp(b.0))
        });
    }
    let total = sum(&rows.iter().collect::<Vec<_>>());
    let late = units.iter().filter(|(_, s, _)| done(s) < 0.5).count();
    let group_name = |code: &str| campaign.group(code).map_or(code.to_owned(), |g| g.name.clone());
    html! {
        p {
            "Cả đợt: " strong { (total.answered) " / " (total.quota) } " phiếu, còn thiếu " strong { (total.remaining()) }
            " · " (units.len()) " đơn vị, " (late) " đơn vị chưa được nửa chỉ tiêu."
        }
        h2 { "Theo nhóm đối tượng" }
        table.board {
            thead { tr { th { "Nhóm" } th { "Đã trả lời / chỉ tiêu" } th.n { "Còn thiếu" } } }
            tbody {
                @for (code, s) in &groups {
                    @let name = group_name(code);
                    tr {
                        td { a href=(format!("/enumerator/{id}?group={code}")) { (name) } }
                        td { (s.answered) " / " (s.quota) (bar(s, "cả đợt", &name)) }
                        td.n { b { (s.remaining()) } }
                    }
                }
            }
        }
        h2 { "Theo đơn vị" }
        p.note {
            "Mỗi đơn vị một dòng, cộng mọi nhóm; bấm tên nhóm ở trên để xem từng đơn vị của nhóm đó, bấm tên đơn vị để xem từng người. Sắp xếp: "
            @if by_unit { a href="?sort=behind" { "chậm nhất trước" } " · theo đơn vị" } @else { "chậm nhất trước · " a href="?sort=unit" { "theo đơn vị" } }
        }
        table.board {
            thead { tr { th { "Đơn vị" } th { "Đã trả lời / chỉ tiêu" } th { "Chậm nhất" } } }
            tbody {
                @for (code, s, behind) in &units {
                    @let unit = campaign.unit(code).map_or(*code, |u| u.name.as_str());
                    tr {
                        td { a href=(format!("/enumerator/{id}/{code}")) { (unit) } }
                        td { (s.answered) " / " (s.quota) (bar(s, unit, "mọi nhóm")) }
                        td {
                            @if let Some(b) = behind {
                                (group_name(&b.group)) ": " (b.answered) " / " (b.quota)
                            } @else { "đủ" }
                        }
                    }
                }
            }
        }
    }
}

fn outcome_button(staff: &Staff, action: &str, code: &str, outcome: Outcome, label: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf_field(staff))
            input type="hidden" name="code" value=(code);
            input type="hidden" name="outcome" value=(outcome.as_str());
            button type="submit" { (label) }
        }
    }
}

fn slip_row(staff: &Staff, base: &str, campaign: &sipas_shared::Campaign, s: &Slip, place: &str) -> Markup {
    let outcome_url = format!("{base}/outcome");
    let group = campaign.group(&s.group).map_or(s.group.as_str(), |g| g.name.as_str());
    html! {
        tr {
            td.code data-label="Mã" { (crate::slips::display_code(&s.code)) }
            td data-label="Nhóm" { (group) }
            td data-label="Lĩnh vực" { (place) }
            td data-label="Người nhận" {
                @if let Some(c) = &s.contact {
                    (c.name) " · "
                    // A household listed without a phone is visited at home.
                    @if c.phone.is_empty() { (c.address) } @else { a href=(format!("tel:{}", c.phone)) { (c.phone) } }
                } @else { span.note { "phiếu phát tay" } }
            }
            td data-label="Trạng thái" {
                span.tag { (s.status.label()) }
                @if s.attempts > 0 { " " span.note { "gọi " (s.attempts) " lần" } }
                @if let Some(r) = &s.replaced_by { " " span.note { "đã thay bằng " (crate::slips::display_code(r)) } }
                @if let Some(rank) = s.reserve_rank { " " span.note { "dự phòng #" (rank) } }
            }
            td.actions {
                @if s.status == InvitationStatus::Issued {
                    (outcome_button(staff, &outcome_url, &s.code, Outcome::CallFailed, "Gọi không được"))
                    // A refusal takes the person out of the sample: asked twice.
                    details.confirm {
                        summary { "Từ chối" }
                        span.note { "Người này từ chối trả lời? " }
                        (outcome_button(staff, &outcome_url, &s.code, Outcome::Refused, "Xác nhận từ chối"))
                    }
                    (outcome_button(staff, &outcome_url, &s.code, Outcome::WrongNumber, "Sai số"))
                    (outcome_button(staff, &outcome_url, &s.code, Outcome::Paper, "Trả lời trên giấy"))
                }
                @if s.replaceable() {
                    form.inline method="post" action=(format!("{base}/replace")) {
                        (csrf_field(staff))
                        input type="hidden" name="code" value=(s.code);
                        button.go type="submit" { "Thay bằng người dự phòng" }
                    }
                }
                @if s.replaced_by.is_none() && s.status.reopenable() {
                    (outcome_button(staff, &outcome_url, &s.code, Outcome::Reopen, "Mở lại"))
                }
            }
        }
    }
}

/// Whether a slip matches what was typed in the search box: its code
/// (dashes and case aside), the digits of its phone, or its addressee's name
/// (diacritics and case aside).
fn matches_search(s: &Slip, typed: &str) -> bool {
    let fold = |t: &str| -> String {
        t.chars()
            .map(|c| sipas_shared::model::text::fold_vietnamese(c).to_ascii_lowercase())
            .filter(|c| c.is_alphanumeric())
            .collect()
    };
    let want = fold(typed);
    if want.is_empty() {
        return true;
    }
    let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
    fold(&s.code).contains(&want)
        || s.contact
            .as_ref()
            .is_some_and(|c| fold(&c.name).contains(&want) || (digits.len() >= 3 && c.phone.contains(&digits)))
}

#[derive(Deserialize, Default)]
struct UnitQuery {
    #[serde(default)]
    q: String,
}

async fn unit_page(
    State(state): State<AppState>,
    FieldStaff(staff): FieldStaff,
    UnitPath { campaign, unit }: UnitPath,
    Query(flash_id): Query<FlashId>,
    Query(search): Query<UnitQuery>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let flash = flash_id.take(&state, &staff).await?;
    let u = campaign.unit(&unit).ok_or_else(|| AppError::NotFound(format!("đơn vị «{unit}»")))?;
    let slips = state.store.slips(id, Some(&unit)).await?;
    // A household's field is its village: shown by name.
    let villages: BTreeMap<String, String> = if campaign.groups.iter().any(|g| g.households.is_some()) {
        state.store.villages(id).await?.into_iter().filter(|v| v.unit == unit).map(|v| (v.code, v.name)).collect()
    } else {
        BTreeMap::new()
    };
    let place = |field: Option<&str>| -> String {
        field.map_or_else(|| "–".to_owned(), |f| villages.get(f).cloned().unwrap_or_else(|| f.to_owned()))
    };
    let field_heading = if villages.is_empty() { "Lĩnh vực" } else { "Lĩnh vực / thôn" };
    let typed = search.q.trim();
    let (open, reserves): (Vec<&Slip>, Vec<&Slip>) =
        slips.iter().filter(|s| matches_search(s, typed)).partition(|s| s.status != InvitationStatus::Reserve);
    let base = format!("/enumerator/{id}/{unit}");
    // Cells with someone to replace and no reserve left to replace them with.
    let exhausted: std::collections::BTreeSet<(String, Option<String>)> = slips
        .iter()
        .filter(|s| s.replaceable())
        .filter(|s| {
            !slips.iter().any(|r| r.status == InvitationStatus::Reserve && r.group == s.group && r.field == s.field)
        })
        .map(|s| (s.group.clone(), s.field.clone()))
        .collect();
    let quotas = campaign.quotas();
    let groups: Vec<_> = campaign
        .groups
        .iter()
        .filter(|g| quotas.iter().any(|q| q.unit == u.code && q.group == g.code && q.quota > 0))
        .collect();
    Ok(page(
        &format!("{} – {}", u.name, campaign.name),
        Some(&staff),
        html! {
            (flash.render())
            p {
                a href=(format!("/enumerator/{id}")) { "← Tiến độ chỉ tiêu" } " · "
                a href=(format!("{base}/slips?format=html")) { "In phiếu mời (A4)" } " · "
                a href=(format!("{base}/slips?format=csv")) { "Tải CSV gửi SMS" }
            }
            div.box {
                "Nhập phiếu giấy: "
                @for g in &groups { a href=(format!("{base}/ballot?group={}", g.code)) { (g.name) } " " }
                details {
                    summary { "Rút một phiếu giấy đã nhập sai" }
                    form method="post" action=(format!("{base}/withdraw")) {
                        (csrf_field(&staff))
                        label { "Số phiếu " input type="text" name="ballot" required maxlength="12" placeholder="7JWJ-C1ZG" autocapitalize="characters"; }
                        " "
                        label { "Lý do " input type="text" name="reason" required maxlength="200"; }
                        " "
                        button.go type="submit" { "Rút phiếu" }
                    }
                    p.note { "Phiếu được loại khỏi chỉ số (không xoá) và số phiếu được dùng lại để nhập đúng." }
                }
            }
            @for (group, field) in &exhausted {
                div.alert {
                    "Hết người dự phòng: " (campaign.group(group).map_or(group.as_str(), |g| g.name.as_str()))
                    @match field.as_deref().and_then(|f| villages.get(f)) {
                        Some(name) => { ", " (name) ". " }
                        None => { ", lĩnh vực " (field.as_deref().unwrap_or("chưa xếp")) ". " }
                    }
                    form.inline method="post" action=(format!("{base}/reserves")) {
                        (csrf_field(&staff))
                        input type="hidden" name="group" value=(group);
                        @if let Some(f) = field { input type="hidden" name="field" value=(f); }
                        button.go type="submit" { "Rút thêm dự phòng" }
                    }
                    span.note { " Rút ngẫu nhiên từ những người chưa được mời trong danh sách của đơn vị, cùng lĩnh vực." }
                }
            }
            form.search method="get" action=(base) role="search" {
                label for="q" { "Tìm theo tên, số điện thoại hoặc mã phiếu " }
                input #q type="search" name="q" value=(typed) autocomplete="off";
                " " button type="submit" { "Tìm" }
                @if !typed.is_empty() { " " a href=(base) { "Bỏ lọc" } }
            }
            h2 { "Phiếu mời (" (open.len()) ")" }
            @if open.is_empty() {
                @if typed.is_empty() { p { "Chưa chọn mẫu cho đơn vị này." } } @else { p { "Không có phiếu nào khớp «" (typed) "»." } }
            }
            div.wrap tabindex="0" role="region" aria-label="Phiếu đã mời" { table.cards {
                thead { tr { th { "Mã" } th { "Nhóm" } th { (field_heading) } th { "Người nhận" } th { "Trạng thái" } th { "Ghi kết quả" } } }
                tbody { @for s in &open { (slip_row(&staff, &base, &campaign, s, &place(s.field.as_deref()))) } }
            } }
            h2 { "Dự phòng chưa dùng (" (reserves.len()) ")" }
            p.note { "Người dự phòng chỉ được mời khi thay cho một người từ chối hoặc không liên lạc được, cùng lĩnh vực." }
            div.wrap tabindex="0" role="region" aria-label="Dự phòng chưa dùng" { table.cards {
                thead { tr { th { "Mã" } th { "Nhóm" } th { (field_heading) } th { "Người" } th { "Thứ tự" } } }
                tbody { @for s in &reserves {
                    tr { td.code data-label="Mã" { (crate::slips::display_code(&s.code)) }
                         td data-label="Nhóm" { (campaign.group(&s.group).map_or(s.group.as_str(), |g| g.name.as_str())) }
                         td data-label=(field_heading) { (place(s.field.as_deref())) }
                         td data-label="Người" { @if let Some(c) = &s.contact { (c.name) } } td.n data-label="Thứ tự" { (s.reserve_rank.unwrap_or_default()) } }
                } }
            } }
        },
    )
    .into_response())
}

#[derive(Deserialize)]
struct ReservesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    group: String,
    field: Option<String>,
}

/// Draws more reserves for a cell whose reserves ran out (seeded, from the
/// same list, audited with the seed).
async fn more_reserves(
    State(state): State<AppState>,
    FieldStaff(staff): FieldStaff,
    UnitPath { campaign, unit }: UnitPath,
    Posted(f): Posted<ReservesForm>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let back = format!("/enumerator/{id}/{unit}");
    if campaign.unit(&unit).is_none() || campaign.group(&f.group).is_none() {
        return flash(&state, &staff, &back, false, &format!("nhóm «{}» không có trong đợt", f.group)).await;
    }
    let field = f.field.as_deref().filter(|s| !s.is_empty());
    let cell = sipas_shared::ops::sampling::Cell { unit: &unit, group: &f.group, field };
    let seed = sipas_shared::field::sampling::fresh_seed();
    let n = sipas_shared::ops::sampling::more_reserves(&*state.store, &campaign, cell, seed, &staff.user.name).await?;
    let label = field.unwrap_or("chưa xếp");
    let (ok, m) = if n == 0 {
        (
            false,
            format!(
                "Danh sách của đơn vị không còn ai chưa được mời ở lĩnh vực {label}: hãy nhập thêm danh sách giao dịch."
            ),
        )
    } else {
        (true, format!("Đã rút thêm {n} người dự phòng lĩnh vực {label} (seed {seed})."))
    };
    flash(&state, &staff, &back, ok, &m).await
}

#[derive(Deserialize)]
struct OutcomeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    outcome: String,
}

/// What every change to a slip checks first: the role, the form's CSRF token,
/// the unit, and that the slip belongs to the unit in the path, so an
/// enumerator cannot reach another unit's slip through their own unit's URL.
/// Gives the unit page to return to, or the redirect saying the slip is unknown.
/// (The role, the unit and the form's CSRF token are the handler's guards.)
async fn checked_slip(
    state: &AppState,
    staff: &Staff,
    id: &str,
    unit: &str,
    f: &OutcomeForm,
) -> Result<Result<String, Response>, AppError> {
    let back = format!("/enumerator/{id}/{unit}");
    if state.store.slip(id, &f.code).await?.is_some_and(|s| s.unit == unit) {
        return Ok(Ok(back));
    }
    let message = FieldError::NoSuchSlip(f.code.clone()).to_string();
    Ok(Err(flash(state, staff, &back, false, &message).await?))
}

async fn outcome(
    State(state): State<AppState>,
    FieldStaff(staff): FieldStaff,
    UnitPath { campaign, unit }: UnitPath,
    Posted(f): Posted<OutcomeForm>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let back = match checked_slip(&state, &staff, id, &unit, &f).await? {
        Ok(back) => back,
        Err(refused) => return Ok(refused),
    };
    let Some(outcome) = Outcome::parse(&f.outcome) else {
        return flash(&state, &staff, &back, false, &format!("kết quả «{}» không hợp lệ", f.outcome)).await;
    };
    let (ok, message) = match state.store.record_outcome(id, &f.code, outcome, &staff.user.name).await? {
        Ok(status) => (true, format!("Phiếu {}: {}", crate::slips::display_code(&f.code), status.label())),
        Err(e) => (false, e.to_string()),
    };
    flash(&state, &staff, &back, ok, &message).await
}

async fn replace(
    State(state): State<AppState>,
    FieldStaff(staff): FieldStaff,
    UnitPath { campaign, unit }: UnitPath,
    Posted(f): Posted<OutcomeForm>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let back = match checked_slip(&state, &staff, id, &unit, &f).await? {
        Ok(back) => back,
        Err(refused) => return Ok(refused),
    };
    let (ok, message) = match state.store.release_reserve(id, &f.code, &staff.user.name).await? {
        Ok(reserve) => (
            true,
            format!(
                "Đã mời người dự phòng {} thay cho phiếu {}",
                crate::slips::display_code(&reserve),
                crate::slips::display_code(&f.code)
            ),
        ),
        Err(e) => (false, e.to_string()),
    };
    flash(&state, &staff, &back, ok, &message).await
}

#[derive(Deserialize)]
struct SlipQuery {
    format: Option<String>,
}

async fn print_slips(
    State(state): State<AppState>,
    FieldStaff(_): FieldStaff,
    UnitPath { campaign, unit }: UnitPath,
    Query(q): Query<SlipQuery>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    slips_response(&state, id, Some(&unit), q.format.as_deref()).await
}

/// The printable slips or the SMS CSV, as `sipas invitations` writes them.
pub(crate) async fn slips_response(
    state: &AppState,
    id: &str,
    unit: Option<&str>,
    format: Option<&str>,
) -> Result<Response, AppError> {
    use axum::http::header;
    let campaign = load_campaign(&*state.store, id).await?;
    let all = state.store.slips(id, unit).await?;
    let open = crate::slips::printable(&all);
    if format == Some("csv") {
        let body = crate::slips::slips_csv(&campaign, &open, &state.public_url)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let name =
            format!("attachment; filename=\"phieu-moi-{id}{}.csv\"", unit.map(|u| format!("-{u}")).unwrap_or_default());
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, name),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            body,
        )
            .into_response());
    }
    Ok(([(header::CACHE_CONTROL, "no-store")], crate::slips::slips_html(&campaign, &open, &state.public_url))
        .into_response())
}

#[derive(Deserialize)]
struct GroupQuery {
    group: Option<String>,
}

fn keying_fields(
    staff: &Staff,
    campaign: &Campaign,
    group: &str,
    field: Option<&str>,
    frame: bool,
    error: Option<&str>,
    number: Option<&str>,
) -> Markup {
    html! {
        (csrf_field(staff))
        input type="hidden" name="group" value=(group);
        @if let Some(e) = error { div.alert role="alert" { (e) } }
        fieldset {
            legend { label for="ballot" { "Số phiếu (in trên phiếu giấy)" } }
            input #ballot type="text" name="ballot" value=(number.unwrap_or_default()) autocomplete="off"
                autocapitalize="characters" maxlength="12" placeholder="7JWJ-C1ZG" style="font:1.2rem monospace;width:12ch;padding:.4rem";
            p.note { "Phiếu không có số chỉ được nhập khi đơn vị × nhóm còn thiếu chỉ tiêu." }
        }
        @if frame {
            fieldset {
                legend { label for="field" { "Lĩnh vực thủ tục người trả lời đã giao dịch" } }
                select #field name="field" {
                    option value="" { "(không rõ)" }
                    @for f in &campaign.fields { option value=(f) selected[field == Some(f.as_str())] { (f) } }
                }
            }
        }
    }
}

async fn ballot_form(
    FieldStaff(staff): FieldStaff,
    UnitPath { campaign, unit }: UnitPath,
    Query(q): Query<GroupQuery>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    render_ballot(
        &staff,
        &campaign,
        id,
        &unit,
        q.group.as_deref().unwrap_or_default(),
        None,
        &BTreeMap::new(),
        &BTreeMap::new(),
        None,
        None,
    )
}

#[allow(clippy::too_many_arguments)]
fn render_ballot(
    staff: &Staff,
    campaign: &Campaign,
    id: &str,
    unit: &str,
    group: &str,
    field: Option<&str>,
    cells: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
    message: Option<&str>,
    number: Option<&str>,
) -> Result<Response, AppError> {
    let g = campaign.group(group).ok_or_else(|| AppError::NotFound(format!("nhóm đối tượng «{group}»")))?;
    let questionnaire = campaign
        .questionnaire(&g.questionnaire)
        .ok_or_else(|| AppError::NotFound(format!("phiếu «{}»", g.questionnaire)))?;
    let u = campaign.unit(unit).ok_or_else(|| AppError::NotFound(format!("đơn vị «{unit}»")))?;
    let title = format!("{} · nhập phiếu giấy ({})", u.name, g.name);
    let action = format!("/enumerator/{id}/{unit}/ballot");
    let keying = keying_fields(staff, campaign, group, field, g.frame, message, number);
    let notice = (!errors.is_empty()).then_some(crate::views::form::Notice::Fix);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = form_page(&FormPage {
        lang: Lang::Vi,
        title_unit: &title,
        questionnaire,
        cells,
        errors,
        notice,
        action: &action,
        keying: Some(keying),
        kiosk: None,
        stamp: None,
    });
    Ok((status, page).into_response())
}

/// A keyed ballot's fields as posted, in their order: its CSRF token among them.
#[derive(Deserialize)]
#[serde(transparent)]
struct Fields(Vec<(String, String)>);

impl super::guard::Csrf for Fields {
    fn csrf(&self) -> &str {
        self.0.iter().find(|(n, _)| n == "csrf").map_or("", |(_, v)| v.as_str())
    }
}

async fn key_ballot(
    State(state): State<AppState>,
    FieldStaff(staff): FieldStaff,
    UnitPath { campaign, unit }: UnitPath,
    Posted(Fields(fields)): Posted<Fields>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or_default();
    let group = get("group").to_owned();
    let g = campaign.group(&group).ok_or_else(|| AppError::NotFound(format!("nhóm đối tượng «{group}»")))?;
    let questionnaire = campaign
        .questionnaire(&g.questionnaire)
        .ok_or_else(|| AppError::NotFound(format!("phiếu «{}»", g.questionnaire)))?;
    let field = Some(get("field")).filter(|f| !f.is_empty()).map(str::to_owned);
    if let Some(f) = &field
        && !campaign.fields.contains(f)
    {
        return render_ballot(
            &staff,
            &campaign,
            id,
            &unit,
            &group,
            None,
            &BTreeMap::new(),
            &BTreeMap::new(),
            Some(&format!("lĩnh vực «{f}» không có trong danh mục")),
            None,
        );
    }
    let (cells, _) = crate::respond::cells_from_form(&fields);
    let typed = get("ballot").trim().to_owned();
    let shown: BTreeMap<String, String> = cells
        .iter()
        .filter(|(c, _)| questionnaire.question(c).is_some())
        .map(|(c, v)| (c.clone(), v.clone()))
        .collect();
    // The form again, as typed, with what is wrong.
    let refuse = |errors: &BTreeMap<String, String>, message: Option<&str>| -> Result<Response, AppError> {
        let page = render_ballot(
            &staff,
            &campaign,
            id,
            &unit,
            &group,
            field.as_deref(),
            &shown,
            errors,
            message,
            Some(&typed),
        )?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let number = match (typed.is_empty(), ShortCode::parse(&typed)) {
        (true, _) => None,
        (false, Some(code)) => Some(code.as_str().to_owned()),
        (false, None) => {
            let m = format!("số phiếu «{typed}» không đúng dạng (8 ký tự in trên phiếu, vd. 7JWJ-C1ZG)");
            return refuse(&BTreeMap::new(), Some(&m));
        }
    };
    // The number as printed, for the message that says it was saved.
    let keyed = number.as_deref().and_then(ShortCode::parse).map(|c| c.to_string());
    let answers = match questionnaire.check_answers(&cells) {
        Ok(answers) => answers,
        Err(issues) => {
            let errors: BTreeMap<String, String> = issues
                .into_iter()
                .map(|i| (i.question, crate::views::text::answer_error(Lang::Vi, &i.error)))
                .collect();
            return refuse(&errors, None);
        }
    };
    let response = StoredResponse {
        unit: unit.clone(),
        group: group.clone(),
        field: field.clone(),
        // A ballot filled during the campaign and keyed after its close is
        // dated on its last day, inside the window every file is checked against.
        submitted_on: campaign.today().min(campaign.closes).max(campaign.opens),
        source: "paper".into(),
        ballot: number,
        cells: answers.to_cells(),
    };
    let subject = format!("{unit}/{group}");
    let ballots = [(1, response)];
    let batch = PaperBatch {
        ballots: &ballots,
        allow_over_quota: false,
        fingerprint: None,
        audit: Audit {
            actor: &staff.user.name,
            campaign: id,
            action: sipas_shared::model::AuditAction::KeyBallot,
            subject: &subject,
            detail: "một phiếu",
        },
    };
    match state.store.key_paper_ballots(id, batch).await {
        Ok(()) => {}
        Err(StoreError::Rows(refused)) => {
            let m: Vec<String> = refused.into_iter().map(|r| r.message).collect();
            return refuse(&BTreeMap::new(), Some(&m.join("; ")));
        }
        Err(e) => return Err(e.into()),
    }
    let saved = match &keyed {
        Some(printed) => format!("Đã lưu phiếu giấy số {printed} ({}).", g.name),
        None => format!("Đã lưu một phiếu giấy không số ({}).", g.name),
    };
    flash(&state, &staff, &format!("/enumerator/{id}/{unit}"), true, &saved).await
}

#[derive(Deserialize)]
struct WithdrawForm {
    csrf: String,
    ballot: String,
    reason: String,
}

/// A keyer takes back a paper ballot keyed wrongly, by the number printed on
/// it (which leads to no person), with a reason: out of the indices, never
/// deleted, its number free for the ballot keyed right.
async fn withdraw_ballot(
    State(state): State<AppState>,
    FieldStaff(staff): FieldStaff,
    UnitPath { campaign, unit }: UnitPath,
    Posted(f): Posted<WithdrawForm>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let back = format!("/enumerator/{id}/{unit}");
    let reason = f.reason.trim();
    let Some(number) = ShortCode::parse(&f.ballot) else {
        return flash(&state, &staff, &back, false, &format!("số phiếu «{}» không đúng dạng", f.ballot.trim())).await;
    };
    if reason.is_empty() {
        return flash(&state, &staff, &back, false, "hãy ghi lý do rút phiếu").await;
    }
    match state.store.withdraw_ballot(id, &unit, number.as_str(), reason, &staff.user.name).await {
        Ok(()) => {
            let m = format!("Đã rút phiếu số {} khỏi chỉ số: {reason}.", crate::slips::display_code(number.as_str()));
            flash(&state, &staff, &back, true, &m).await
        }
        Err(StoreError::NotFound(what)) => flash(&state, &staff, &back, false, &format!("không tìm thấy {what}")).await,
        Err(e) => Err(e.into()),
    }
}

super::guard::csrf_field!(ReservesForm, OutcomeForm, WithdrawForm);
