//! `/admin`: for the home-affairs office. Campaigns and their units, frame
//! uploads, the sampling button, invitations to print, staff accounts and the
//! audit log.

use super::enumerator::slips_response;
use super::guard::{Admin, CampaignPath, Posted};
use super::{FlashId, csrf_field, flash, page};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;
use sipas_shared::StoreError;
use sipas_shared::field::sampling::{self, recommended_size};
use sipas_shared::files::frame;
use sipas_shared::model::auth;
use sipas_shared::ops::frame::{self as import, ImportError};
use std::collections::BTreeMap;

/// The largest frame file accepted (a district's year of transactions fits many times over).
const UPLOAD_LIMIT: usize = 20 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/campaigns/{campaign}", get(campaign_page))
        .route("/admin/campaigns/{campaign}/frame", post(upload_frame).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .route("/admin/campaigns/{campaign}/frame/remove", post(remove_frame))
        .route("/admin/campaigns/{campaign}/villages", post(upload_villages).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .route("/admin/campaigns/{campaign}/villages/draw", post(draw_villages))
        .route("/admin/campaigns/{campaign}/sample", post(sample))
        .route("/admin/campaigns/{campaign}/invitations", get(invitations))
        .route("/admin/campaigns/{campaign}/posters", get(posters))
        .route("/admin/campaigns/{campaign}/audit.csv", get(audit_csv))
        .route("/admin/campaigns/{campaign}/review", get(review_page))
        .route("/admin/campaigns/{campaign}/devices", post(enrol_device))
        .route("/admin/campaigns/{campaign}/devices/{device}/revoke", post(revoke_device))
        .route("/admin/campaigns/{campaign}/review/{response}", post(review))
}

async fn home(State(state): State<AppState>, Admin(staff): Admin) -> Result<Response, AppError> {
    let list = state.store.campaigns().await?;
    Ok(page(
        "Quản trị",
        Some(&staff),
        html! {
            h2 { "Đợt khảo sát" }
            @if list.is_empty() { p { "Chưa có đợt khảo sát nào. Nạp bằng lệnh " code { "sipas campaign load TỆP.toml" } "." } }
            div.wrap tabindex="0" role="region" aria-label="Đợt khảo sát" { table.cards {
                thead { tr { th { "Mã" } th { "Tên" } th.n { "Năm" } th { "Thời gian" } th {} } }
                tbody { @for c in &list { tr {
                    td.code { (c.id) } td { (c.name) } td.n { (c.year) } td { (c.opens.format("%d/%m/%Y")) " – " (c.closes.format("%d/%m/%Y")) }
                    td { a href=(format!("/admin/campaigns/{}", c.id)) { "Khung mẫu, chọn mẫu, phiếu mời" } " · " a href=(format!("/enumerator/{}", c.id)) { "Tiến độ" } " · " a href=(format!("/reports/{}", c.id)) { "Báo cáo" } " · " a href=(format!("/admin/campaigns/{}/review", c.id)) { "Xem xét phiếu" } }
                } } }
            } }
        },
    )
    .into_response())
}

async fn campaign_page(
    State(state): State<AppState>,
    Admin(staff): Admin,
    CampaignPath(campaign): CampaignPath,
    Query(flash_id): Query<FlashId>,
    Query(log_page): Query<LogPage>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let flash = flash_id.take(&state, &staff).await?;
    let mut frame: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in state.store.frame_rows(id).await? {
        let e = frame.entry(r.unit).or_default();
        e.0 += 1;
        e.1 += u64::from(r.invited);
    }
    let board = state.store.quota_board(id).await?;
    let citizens: Option<&str> = campaign.groups.iter().find(|g| g.frame).map(|g| g.code.as_str());
    let page_no = log_page.page.unwrap_or(1).max(1);
    let mut log = state.store.audit_log(id, LOG_PAGE + 1, (page_no - 1) * LOG_PAGE).await?;
    let more = log.len() > LOG_PAGE as usize;
    log.truncate(LOG_PAGE as usize);
    let devices = state.store.devices(id).await?;
    let (villages, design_cells) = if campaign.groups.iter().any(|g| g.households.is_some()) {
        (state.store.villages(id).await?, state.store.design_cells(id).await?.len())
    } else {
        (Vec::new(), 0)
    };
    let base = format!("/admin/campaigns/{id}");
    let mail = super::mailing::section(&state, &campaign, &staff).await?;
    Ok(page(
        &campaign.name,
        Some(&staff),
        html! {
            (flash.render())
            @let dry: Vec<_> = board.iter().filter(|r| r.reserves == 0 && r.refused + r.unreachable > 0).collect();
            @if !dry.is_empty() {
                div.alert {
                    "Hết người dự phòng (có người từ chối hoặc không liên lạc được): "
                    @for (i, r) in dry.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href=(format!("/enumerator/{id}/{}", r.unit)) {
                            (campaign.unit(&r.unit).map_or(r.unit.as_str(), |u| u.name.as_str()))
                            " – " (campaign.group(&r.group).map_or(r.group.as_str(), |g| g.name.as_str()))
                        }
                    }
                    ". Mở trang đơn vị để «Rút thêm dự phòng» cho đúng lĩnh vực."
                }
            }
            h2 { "Khung chọn mẫu theo đơn vị" }
            div.wrap tabindex="0" role="region" aria-label="Khung chọn mẫu theo đơn vị" { table.cards {
                thead { tr { th { "Đơn vị" } th.n { "Người trong khung" } th.n { "Đã chọn vào mẫu (kể cả dự phòng)" } th.n { "Chỉ tiêu người dân" } th.n { "Cỡ mẫu nên có (±5 %)" } th { "Phiếu mời" } } }
                tbody { @for u in campaign.units.iter().filter(|u| campaign.children(&u.code).next().is_none()) {
                    @let (n, invited) = frame.get(u.code.as_str()).copied().unwrap_or_default();
                    @let quota = board.iter().find(|r| r.unit == u.code.as_str() && Some(r.group.as_str()) == citizens).map_or(0, |r| r.quota);
                    tr {
                        td { strong { (u.name) } " " span.note { (u.code) } }
                        td.n data-label="Người trong khung" { (n) }
                        td.n data-label="Đã chọn vào mẫu" { (invited) }
                        td.n data-label="Chỉ tiêu người dân" { (quota) }
                        td.n data-label="Cỡ mẫu nên có" { @if n > 0 { (recommended_size(n, 0.05)) } @else { "–" } }
                        td {
                            a href=(format!("{base}/invitations?unit={}&format=html", u.code)) { "In (A4)" } " · " a href=(format!("{base}/invitations?unit={}&format=csv", u.code)) { "CSV SMS" }
                            @if n > invited {
                                " "
                                details.confirm {
                                    summary { "Bỏ danh sách" }
                                    form.inline method="post" action=(format!("{base}/frame/remove")) {
                                        (csrf_field(&staff))
                                        input type="hidden" name="unit" value=(u.code);
                                        button type="submit" { "Bỏ " (n - invited) " người chưa được mời" }
                                    }
                                    span.note { " Người đã được mời giữ nguyên." }
                                }
                            }
                        }
                    }
                } }
            } }
            p.note { "Cỡ mẫu nên có: số phiếu cần để tỷ lệ hài lòng của đơn vị có sai số không quá ±5 điểm phần trăm (độ tin cậy 95 %), tính từ số người trong khung N: n = N ÷ (1 + N·0,05²). Chỉ tiêu của đợt có thể nhỏ hơn; khi đó kết quả của đơn vị có sai số lớn hơn, và báo cáo ghi khoảng tin cậy bên cạnh." " «Đã mời» (trang Tiến độ) là số phiếu mời đã phát, không tính người dự phòng chưa được mời." }
            p { a href=(format!("{base}/invitations?format=html")) { "In phiếu mời của mọi đơn vị" } " · " a href=(format!("{base}/invitations?format=csv")) { "CSV SMS của mọi đơn vị" } }

            h2 { "Nhập danh sách giao dịch (khung chọn mẫu) hoặc danh sách đại biểu, công chức" }
            form.box method="post" action=(format!("{base}/frame")) enctype="multipart/form-data" {
                (csrf_field(&staff))
                p { label for="unit" { "Đơn vị " } select #unit name="unit" required {
                    @for u in campaign.units.iter().filter(|u| campaign.children(&u.code).next().is_none()) { option value=(u.code) { (u.name) } }
                } }
                p { label for="list" { "Danh sách " } select #list name="list" {
                    option value="" { "giao dịch tại Bộ phận một cửa (người dân)" }
                    @for g in campaign.groups.iter().filter(|g| !g.frame) { option value=(g.code) { "danh sách " (g.name) } }
                } }
                p { label for="file" { "Tệp CSV hoặc Excel .xlsx (cột: TT, Họ và tên, Tên thủ tục hành chính, Địa chỉ, Số điện thoại; danh sách hộ: Mã thôn hoặc Thôn/Tổ dân phố, Họ và tên chủ hộ, Địa chỉ, Số điện thoại nếu có) " } input #file type="file" name="file" accept=".csv,.xlsx" required; }
                p { label { input type="checkbox" name="skip_bad" value="1"; " Bỏ qua dòng lỗi, nhập các dòng hợp lệ" } }
                p { label { input type="checkbox" name="replace" value="1"; " Thay danh sách cũ của đơn vị (người đã được mời giữ nguyên)" } }
                p { label { input type="checkbox" name="force" value="1"; " Vẫn nhập vào đơn vị đã chọn khi tệp có vẻ là của đơn vị khác" } }
                button.go type="submit" { "Nhập" }
            }

            @if let Some(group) = campaign.groups.iter().find(|g| g.households.is_some()) {
                h2 { "Khảo sát hộ gia đình: thôn, tổ dân phố" }
                @let drawn_units = villages.iter().filter(|v| v.chance.is_some()).map(|v| v.unit.as_str()).collect::<std::collections::BTreeSet<_>>().len();
                @let listed_units = villages.iter().map(|v| v.unit.as_str()).collect::<std::collections::BTreeSet<_>>().len();
                p {
                    (group.name) ": " (villages.len()) " thôn, tổ dân phố của " (listed_units) " đơn vị; đã chọn thôn ở "
                    (drawn_units) " đơn vị; " (design_cells) " thôn đã chọn hộ."
                }
                form.box method="post" action=(format!("{base}/villages")) enctype="multipart/form-data" {
                    (csrf_field(&staff))
                    p { label for="villages-file" { "Danh sách thôn, tổ dân phố: tệp CSV hoặc Excel .xlsx (cột: Mã đơn vị hoặc Tên đơn vị, Mã thôn, Tên thôn/tổ dân phố, Số hộ) " } input #villages-file type="file" name="file" accept=".csv,.xlsx" required; }
                    p { label { input type="checkbox" name="skip_bad" value="1"; " Bỏ qua dòng lỗi, nhập các dòng hợp lệ" } }
                    button.go type="submit" { "Nhập danh sách thôn" }
                }
                form.box method="post" action=(format!("{base}/villages/draw")) {
                    (csrf_field(&staff))
                    p.note { "Mỗi xã chọn " (group.households.map_or(0, |d| d.villages)) " thôn, tổ dân phố với xác suất tỷ lệ với số hộ (PPS hệ thống); xã đã chọn giữ nguyên. Sau đó nhập danh sách hộ của các thôn đã chọn và bấm Chọn mẫu: mỗi thôn chọn " (group.households.map_or(0, |d| d.per_village)) " hộ theo khoảng cách đều, kèm hộ dự phòng cùng thôn." }
                    p { label for="villages-seed" { "Hạt giống (bỏ trống = ngẫu nhiên) " } input #villages-seed type="number" name="seed" min="0"; }
                    button.go type="submit" { "Chọn thôn" }
                }
            }

            h2 { "Chọn mẫu" }
            form.box method="post" action=(format!("{base}/sample")) {
                (csrf_field(&staff))
                p.note { "Rút theo chỉ tiêu cộng dự phòng, phân tầng theo lĩnh vực. Người đã được mời không bị rút lại; chạy lại chỉ rút thêm phần còn thiếu." }
                p {
                    label for="seed" { "Hạt giống (để rút lại đúng như cũ; bỏ trống = ngẫu nhiên) " } input #seed type="number" name="seed" min="0";
                    " " label for="reserve" { "Dự phòng (%) " } input #reserve type="number" name="reserve" value="50" min="0" max="500";
                }
                button.go type="submit" { "Chọn mẫu" }
            }

            (mail)
            h2 { "Màn hình QR tại Bộ phận một cửa" }
            p.note {
                "Mỗi màn hình (máy tính bảng) đã đăng ký hiển thị mã QR đổi 2 phút một lần, hoặc cho người dân trả lời ngay trên máy. "
                "Mã chụp lại hay đường dẫn cố định không dùng được ở nơi khác."
            }
            @if !devices.is_empty() {
                ul { @for d in &devices { li {
                    (campaign.unit(&d.unit).map_or(d.unit.as_str(), |u| u.name.as_str())) ": " (d.label) " (" (crate::counter::KioskMode::describe(&d.mode)) ")"
                    @if d.revoked { " (đã thu hồi)" } @else {
                        " "
                        form.inline method="post" action=(format!("{base}/devices/{}/revoke", d.id)) {
                            (csrf_field(&staff))
                            button type="submit" { "Thu hồi" }
                        }
                    }
                } } }
            }
            form.box method="post" action=(format!("{base}/devices")) {
                (csrf_field(&staff))
                label for="device-unit" { "Đơn vị " }
                select #device-unit name="unit" {
                    @for u in campaign.units.iter().filter(|u| board.iter().any(|r| r.unit == u.code.as_str() && Some(r.group.as_str()) == citizens && r.quota > 0)) {
                        option value=(u.code) { (u.name) }
                    }
                }
                " " label for="device-label" { "Tên thiết bị " }
                input #device-label type="text" name="label" value="Máy tính bảng quầy 1" maxlength="80" required;
                " " label for="device-mode" { "Máy tính bảng nhận phiếu " }
                select #device-mode name="mode" {
                    option value="open" { "khi người dân bấm bắt đầu" }
                    option value="staff" { "sau khi cán bộ bấm «Giao dịch xong»" }
                    option value="1in5" { "cán bộ bấm, máy chọn 1 trong 5 người" }
                }
                " " button.go type="submit" { "Đăng ký màn hình" }
            }
            h2 { "Áp phích QR cố định" }
            @if campaign.counter_poster {
                p { a href=(format!("{base}/posters")) { "In áp phích A4 cho Bộ phận một cửa của mỗi đơn vị" } " (mã QR, địa chỉ ngắn, hướng dẫn)." }
            } @else {
                p.note { "Không dùng: " (crate::slips::NO_POSTERS) "." }
            }

            h2 #log { "Nhật ký thay đổi" }
            p.note {
                "Mới nhất trước, giờ " (campaign.timezone) ". "
                a href=(format!("{base}/audit.csv")) { "Tải toàn bộ nhật ký (CSV)" }
            }
            div.wrap tabindex="0" role="region" aria-label="Nhật ký" { table.cards {
                thead { tr { th { "Lúc" } th { "Ai" } th { "Việc" } th { "Đối tượng" } th { "Chi tiết" } } }
                tbody { @for e in &log { tr {
                    td data-label="Lúc" { (campaign.local_time(e.at)) } td data-label="Ai" { (e.actor) }
                    td data-label="Việc" { (e.action.label()) } td data-label="Đối tượng" { (subject_label(&campaign, &e.subject)) }
                    td data-label="Chi tiết" { (e.detail) }
                } } }
            } }
            p {
                @if page_no > 1 { a href=(format!("{base}?page={}#log", page_no - 1)) { "← Mới hơn" } " " }
                "Trang " (page_no)
                @if more { " " a href=(format!("{base}?page={}#log", page_no + 1)) { "Cũ hơn →" } }
            }
        },
    )
    .into_response())
}

async fn upload_frame(
    State(state): State<AppState>,
    Admin(staff): Admin,
    CampaignPath(campaign): CampaignPath,
    mut form: Multipart,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let back = format!("/admin/campaigns/{id}");
    let bad = async |m: String| flash(&state, &staff, &back, false, &m).await;
    let FrameUpload { csrf, unit, file, allow, list } = match FrameUpload::read(&mut form).await {
        Ok(u) => u,
        Err(e) => return bad(format!("không đọc được tệp gửi lên: {e}")).await,
    };
    // A multipart form carries its token among its parts.
    staff.check_csrf(&csrf)?;
    let Some(code) = campaign.unit(&unit).map(|u| u.code.clone()) else {
        return bad(format!("đơn vị «{unit}» không có trong đợt khảo sát")).await;
    };
    let roster_of = match list.as_str() {
        "" => None,
        g if campaign.group(g).is_some_and(|g| !g.frame) => Some(g),
        g => return bad(format!("nhóm «{g}» không nhận danh sách riêng")).await,
    };
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return bad("chưa chọn tệp".into()).await;
    };
    let households = roster_of.and_then(|g| campaign.group(g)).is_some_and(|g| g.households.is_some());
    let rows = match read_upload(file_name.clone(), bytes, households).await {
        Ok(r) => r,
        Err(e) => return bad(format!("{file_name}: {e}")).await,
    };
    if households {
        let from = import::Provenance { actor: &staff.user.name, file_name: &file_name };
        return match sipas_shared::ops::households::import_households(
            &*state.store,
            &campaign,
            &code,
            &rows,
            allow,
            from,
        )
        .await
        {
            Ok((done, warnings)) => {
                let mut m = format!(
                    "{file_name}: đã nhập {} hộ vào danh sách của {code} ({} hộ đã có",
                    done.added, done.already
                );
                if allow.replace {
                    m.push_str(&format!(", bỏ {} hộ cũ chưa được mời", done.removed));
                }
                m.push_str(").");
                if !done.skipped.is_empty() {
                    m.push_str(&format!(" Bỏ qua {} dòng lỗi.", done.skipped.len()));
                }
                for w in warnings.iter().take(5) {
                    m.push_str(&format!(" {w};"));
                }
                flash(&state, &staff, &back, true, &m).await
            }
            Err(ImportError::Store(e)) => Err(e.into()),
            Err(ImportError::Rows(errors)) => bad(bad_rows_message(&file_name, &errors)).await,
            Err(e) => bad(format!("{file_name}: {e}")).await,
        };
    }
    let done = match import::import(
        &*state.store,
        &campaign,
        &code,
        roster_of,
        &rows,
        allow,
        import::Provenance { actor: &staff.user.name, file_name: &file_name },
    )
    .await
    {
        Ok(d) => d,
        Err(ImportError::Store(e)) => return Err(e.into()),
        Err(ImportError::Rows(errors)) => return bad(bad_rows_message(&file_name, &errors)).await,
        Err(e) => return bad(format!("{file_name}: {e}")).await,
    };
    flash(&state, &staff, &back, true, &imported_message(&file_name, &code, roster_of, allow, &done)).await
}

/// What the page says of a file with bad rows: the first twenty, and how to go on.
fn bad_rows_message(file_name: &str, errors: &[sipas_shared::model::RowError]) -> String {
    let mut m = format!("{file_name}: {} dòng lỗi, chưa nhập dòng nào.", errors.len());
    for e in errors.iter().take(20) {
        m.push_str(&format!(" {e};"));
    }
    if errors.len() > 20 {
        m.push_str(" …");
    }
    if errors.iter().any(|e| e.column.is_some()) {
        m.push_str(" Sửa tệp, hoặc đánh dấu «Bỏ qua dòng lỗi».");
    } else {
        m.push_str(
            " Dòng tiêu đề cần có các cột như mẫu: TT, Họ và tên, Tên thủ tục hành chính, Địa chỉ, Số điện thoại.",
        );
    }
    m
}

/// What the page says of a stored list: added, already there, skipped, merged.
fn imported_message(
    file_name: &str,
    code: &sipas_shared::UnitCode,
    roster_of: Option<&str>,
    allow: import::Allow,
    done: &import::Imported,
) -> String {
    let replaced = if allow.replace {
        format!(", bỏ {} người cũ chưa được mời", done.removed)
    } else {
        String::new()
    };
    let detail = format!(
        "{file_name}: thêm {}, đã có {}, bỏ qua {} dòng lỗi, gộp {} dòng trùng{replaced}",
        done.added,
        done.already,
        done.skipped.len(),
        done.duplicates.len()
    );
    let what = roster_of.map_or_else(|| "khung chọn mẫu".to_owned(), |g| format!("danh sách {g}"));
    let mut m = format!("Đã nhập {what} {code}: {detail}.");
    if !done.unknown_procedures.is_empty() {
        let names: Vec<String> = done.unknown_procedures.iter().map(|(p, n)| format!("{p} ({n})")).collect();
        m.push_str(&format!(" Thủ tục chưa có trong danh mục lĩnh vực: {}.", names.join(", ")));
    }
    m
}

/// The parts of the frame upload form.
struct FrameUpload {
    csrf: String,
    unit: String,
    file: Option<(String, axum::body::Bytes)>,
    allow: import::Allow,
    list: String,
}

impl FrameUpload {
    async fn read(form: &mut Multipart) -> Result<Self, String> {
        let mut up = FrameUpload {
            csrf: String::new(),
            unit: String::new(),
            file: None,
            allow: import::Allow::default(),
            list: String::new(),
        };
        while let Some(field) = form.next_field().await.map_err(|e| e.to_string())? {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| e.to_string())?;
            let text = || String::from_utf8_lossy(&bytes).into_owned();
            match name.as_str() {
                "csrf" => up.csrf = text(),
                "unit" => up.unit = text(),
                "skip_bad" => up.allow.bad_rows = true,
                "force" => up.allow.other_unit = true,
                "replace" => up.allow.replace = true,
                "list" => up.list = text(),
                "file" => up.file = Some((file_name.unwrap_or_default(), bytes)),
                _ => {}
            }
        }
        Ok(up)
    }
}

#[derive(Deserialize)]
struct RemoveFrameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    unit: String,
}

/// A unit's counter list removed (its people not yet invited), audited.
async fn remove_frame(
    State(state): State<AppState>,
    Admin(staff): Admin,
    CampaignPath(campaign): CampaignPath,
    Posted(f): Posted<RemoveFrameForm>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let back = format!("/admin/campaigns/{id}");
    let Some(u) = campaign.unit(&f.unit) else {
        return flash(&state, &staff, &back, false, &format!("đơn vị «{}» không có trong đợt", f.unit)).await;
    };
    let scope = sipas_shared::store::FrameScope { unit: u.code.as_str(), roster_of: None };
    let audit = sipas_shared::store::field::Audit {
        actor: &staff.user.name,
        campaign: &campaign.id,
        action: sipas_shared::model::AuditAction::FrameRemove,
        subject: u.code.as_str(),
        detail: "khung chọn mẫu",
    };
    let (removed, kept) = state.store.remove_people(&campaign.id, scope, audit).await?;
    let m = format!("Đã bỏ {removed} người khỏi khung chọn mẫu của {}; giữ {kept} người đã được mời.", u.name);
    flash(&state, &staff, &back, true, &m).await
}

/// How long reading one uploaded file may take before the page gives up.
const READ_BUDGET: std::time::Duration = std::time::Duration::from_secs(60);

/// An uploaded list parsed on a blocking thread, so the service's workers
/// keep answering respondents meanwhile; bounded in size by the readers and
/// in time by [`READ_BUDGET`].
async fn read_upload(
    name: String,
    bytes: axum::body::Bytes,
    village_list: bool,
) -> Result<Vec<(usize, Vec<String>)>, String> {
    // The reader itself stops at the deadline: a file that would take longer
    // leaves no work running after the page has answered.
    let deadline = std::time::Instant::now() + READ_BUDGET;
    let work = tokio::task::spawn_blocking(move || {
        if village_list {
            sipas_shared::files::villages::list_rows_until(&name, &bytes, Some(deadline))
        } else {
            frame::file_rows_until(&name, &bytes, Some(deadline))
        }
    });
    match tokio::time::timeout(READ_BUDGET, work).await {
        Ok(Ok(rows)) => rows,
        Ok(Err(e)) => Err(format!("không đọc được tệp: {e}")),
        Err(_) => Err(format!("đọc tệp quá {} giây: hãy chia tệp theo đơn vị", READ_BUDGET.as_secs())),
    }
}

/// A village list: every commune's villages and their households.
async fn upload_villages(
    State(state): State<AppState>,
    Admin(staff): Admin,
    CampaignPath(campaign): CampaignPath,
    mut form: Multipart,
) -> Result<Response, AppError> {
    let back = format!("/admin/campaigns/{}", campaign.id);
    let bad = async |m: String| flash(&state, &staff, &back, false, &m).await;
    let FrameUpload { csrf, file, allow, .. } = match FrameUpload::read(&mut form).await {
        Ok(u) => u,
        Err(e) => return bad(format!("không đọc được tệp gửi lên: {e}")).await,
    };
    staff.check_csrf(&csrf)?;
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return bad("chưa chọn tệp".into()).await;
    };
    let rows = match read_upload(file_name.clone(), bytes, true).await {
        Ok(r) => r,
        Err(e) => return bad(format!("{file_name}: {e}")).await,
    };
    let from = import::Provenance { actor: &staff.user.name, file_name: &file_name };
    match sipas_shared::ops::households::import_villages(&*state.store, &campaign, &rows, allow, from).await {
        Ok(done) => {
            let skipped = if done.skipped.is_empty() {
                String::new()
            } else {
                format!(" Bỏ qua {} dòng lỗi.", done.skipped.len())
            };
            let m =
                format!("{file_name}: đã ghi {} thôn, tổ dân phố của {} đơn vị.{skipped}", done.written, done.units);
            flash(&state, &staff, &back, true, &m).await
        }
        Err(ImportError::Store(e)) => Err(e.into()),
        Err(ImportError::Rows(errors)) => bad(bad_rows_message(&file_name, &errors)).await,
        Err(e) => bad(format!("{file_name}: {e}")).await,
    }
}

/// The first stage of the household sample: villages by size in each commune.
async fn draw_villages(
    State(state): State<AppState>,
    Admin(staff): Admin,
    CampaignPath(campaign): CampaignPath,
    Posted(f): Posted<SampleForm>,
) -> Result<Response, AppError> {
    let back = format!("/admin/campaigns/{}", campaign.id);
    let seed = match f.seed() {
        Ok(seed) => seed,
        Err(m) => return flash(&state, &staff, &back, false, &m).await,
    };
    let rows = sipas_shared::ops::households::draw_villages(&*state.store, &campaign, seed, &staff.user.name).await?;
    if rows.is_empty() {
        return flash(&state, &staff, &back, false, "chưa có danh sách thôn, tổ dân phố: nhập danh sách trước").await;
    }
    let new = rows.iter().filter(|r| !r.earlier).count();
    let villages: usize = rows.iter().filter(|r| !r.earlier).map(|r| r.drawn.len()).sum();
    let m = format!(
        "Đã chọn {villages} thôn, tổ dân phố ở {new} đơn vị theo quy mô hộ (hạt giống {seed}); {} đơn vị đã chọn từ trước giữ nguyên. \
         Bước tiếp: nhập danh sách hộ của các thôn đã chọn (mục Nhập danh sách, chọn nhóm hộ gia đình), rồi Chọn mẫu.",
        rows.len() - new
    );
    flash(&state, &staff, &back, true, &m).await
}

#[derive(Deserialize)]
struct SampleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    seed: String,
    #[serde(default)]
    reserve: String,
}

impl SampleForm {
    /// The seed typed, or a fresh one when the box is empty.
    fn seed(&self) -> Result<u64, String> {
        match self.seed.trim() {
            "" => Ok(sampling::fresh_seed()),
            s => s.parse::<u64>().map_err(|_| format!("hạt giống «{s}» phải là số nguyên không âm")),
        }
    }
}

async fn sample(
    State(state): State<AppState>,
    Admin(staff): Admin,
    CampaignPath(campaign): CampaignPath,
    Posted(f): Posted<SampleForm>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let back = format!("/admin/campaigns/{id}");
    let seed = match f.seed() {
        Ok(seed) => seed,
        Err(m) => return flash(&state, &staff, &back, false, &m).await,
    };
    let reserve = match f.reserve.trim() {
        "" => 50,
        s => match s.parse::<u32>() {
            Ok(n) if n <= 500 => n,
            _ => {
                return flash(&state, &staff, &back, false, &format!("tỷ lệ dự phòng «{s}» phải từ 0 đến 500")).await;
            }
        },
    };
    let rows = sipas_shared::ops::sampling::run(&*state.store, &campaign, seed, reserve, &staff.user.name).await?;
    let drawn: u64 = rows.iter().map(|r| r.drawn).sum();
    let reserves: u64 = rows.iter().map(|r| r.reserves).sum();
    let short: Vec<String> =
        rows.iter().filter(|r| r.short > 0).map(|r| format!("{}/{} thiếu {}", r.unit, r.group, r.short)).collect();
    let mut m = format!(
        "Đã chọn mẫu (hạt giống {seed}, dự phòng {reserve} %): {drawn} phiếu mời mới và {reserves} người dự phòng."
    );
    if !short.is_empty() {
        m.push_str(&format!(" Khung mẫu quá ít: {}.", short.join("; ")));
    }
    flash(&state, &staff, &back, true, &m).await
}

#[derive(Deserialize)]
struct InvitationsQuery {
    unit: Option<String>,
    format: Option<String>,
}

async fn invitations(
    State(state): State<AppState>,
    Admin(_): Admin,
    CampaignPath(campaign): CampaignPath,
    Query(q): Query<InvitationsQuery>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    slips_response(&state, id, q.unit.as_deref().filter(|u| !u.is_empty()), q.format.as_deref()).await
}

/// Audit lines a page of the campaign page shows.
const LOG_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
struct LogPage {
    page: Option<i64>,
}

/// The whole audit log of a campaign, for Excel: local times, Vietnamese
/// actions, UTF-8 with a BOM, formula-looking cells defused.
async fn audit_csv(
    State(state): State<AppState>,
    Admin(_): Admin,
    CampaignPath(campaign): CampaignPath,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let header = ["Lúc", "Ai", "Việc", "Mã việc", "Đối tượng", "Chi tiết"];
    w.write_record(header).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut offset = 0;
    loop {
        let batch = state.store.audit_log(id, 5_000, offset).await?;
        for e in &batch {
            let when = campaign.local_time(e.at);
            let subject = subject_label(&campaign, &e.subject);
            let cells = [when.as_str(), &e.actor, e.action.label(), e.action.code(), &subject, &e.detail];
            let safe: Vec<_> = cells.iter().map(|c| sipas_shared::files::spreadsheet::defuse(c)).collect();
            w.write_record(safe.iter().map(|c| c.as_bytes())).map_err(|e| AppError::Internal(e.to_string()))?;
        }
        if batch.len() < 5_000 {
            break;
        }
        offset += 5_000;
    }
    let body = w.into_inner().map_err(|e| AppError::Internal(e.to_string()))?;
    let disposition = format!("attachment; filename=\"{id}-nhat-ky.csv\"");
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// The A4 counter posters of every unit (or `?unit=`), where the campaign
/// allows them.
async fn posters(
    State(state): State<AppState>,
    Admin(_): Admin,
    CampaignPath(campaign): CampaignPath,
    Query(q): Query<InvitationsQuery>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    if !campaign.counter_poster {
        return Err(AppError::Forbidden(format!("Đợt {id}: {}.", crate::slips::NO_POSTERS)));
    }
    let units = crate::slips::counter_units(&campaign, q.unit.as_deref().filter(|u| !u.is_empty()));
    if units.is_empty() {
        return Err(AppError::NotFound("đơn vị có Bộ phận một cửa trong đợt".into()));
    }
    Ok(crate::slips::counter_posters_html(&campaign, &units, &state.public_url).into_response())
}

/// Flagged responses (straight-lining, implausibly fast, bursts from one
/// address) and excluded ones, by unit, with what the admin may decide.
async fn review_page(
    State(state): State<AppState>,
    Admin(staff): Admin,
    CampaignPath(campaign): CampaignPath,
    Query(flash_id): Query<FlashId>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let flash = flash_id.take(&state, &staff).await?;
    let list = state.store.review_list(id).await?;
    let (flagged, excluded): (Vec<_>, Vec<_>) = list.iter().partition(|r| r.excluded.is_none());
    let waiting = state.store.held_counts(id).await?;
    let waiting_total: i64 = waiting.iter().map(|w| w.2).sum();
    // Bursts, and fast answers in a batch with paper, are kept per released
    // batch, never on a response (SPEC §10).
    let bursts: Vec<_> = state.store.releases(id).await?.into_iter().filter(|b| b.burst > 0 || b.fast > 0).collect();
    let batch_unit = |code: &str| {
        if code == sipas_shared::store::release::ABOVE_UNITS {
            sipas_shared::store::release::ABOVE_UNITS_NAME.to_owned()
        } else {
            campaign.unit(code).map_or(code.to_owned(), |u| u.name.clone())
        }
    };
    let unit_name = |code: &str| campaign.unit(code).map_or(code.to_owned(), |u| u.name.clone());
    let group_name = |code: &str| campaign.group(code).map_or(code.to_owned(), |g| g.name.clone());
    let action = |rid: i64| format!("/admin/campaigns/{id}/review/{rid}");
    Ok(page(
        &format!("Xem xét phiếu – {}", campaign.name),
        Some(&staff),
        html! {
            (flash.render())
            p { a href=(format!("/admin/campaigns/{id}")) { "← Đợt khảo sát" } }
            p.note {
                "Phiếu được đánh dấu khi mọi câu đánh giá cùng một mức, khi trả lời nhanh hơn đọc câu hỏi, hoặc khi là một trong nhiều phiếu gửi từ cùng một địa chỉ trong vài phút. "
                "Chỉ lưu dấu hiệu này, không lưu địa chỉ; dấu hiệu được xoá khi đã xem xét. Phiếu bị loại không bị xoá và có thể khôi phục."
            }
            @if waiting_total > 0 {
                p.note {
                    "Còn " (waiting_total) " phiếu đang chờ, niêm phong, cho đến khi ô của phiếu (đơn vị × nhóm × lĩnh vực) đủ "
                    (campaign.anonymity_k) " phiếu hoặc đợt khảo sát kết thúc. Dấu hiệu của phiếu được niêm phong cùng phiếu, "
                    "nên chỉ hiện ở đây khi đợt phiếu chứa nó được công bố: xem sớm hơn thì biết được phiếu nào của ai. Đang chờ: "
                    (waiting.iter().map(|(u, g, n)| format!("{} – {} {n}", unit_name(u), group_name(g))).collect::<Vec<_>>().join("; "))
                    "."
                }
            }
            h2 { "Cần xem xét (" (flagged.len()) ")" }
            div.wrap tabindex="0" role="region" aria-label="Cần xem xét" { table.cards {
                thead { tr { th { "Phiếu" } th { "Đơn vị" } th { "Nhóm" } th { "Lĩnh vực" } th { "Dấu hiệu" } th { "Trả lời" } th { "Quyết định" } } }
                tbody { @for r in &flagged { tr {
                    td.code data-label="Phiếu" { "#" (r.id) }
                    td data-label="Đơn vị" { (unit_name(&r.unit)) }
                    td data-label="Nhóm" { (group_name(&r.group)) }
                    td data-label="Lĩnh vực" { (r.field.as_deref().unwrap_or("–")) }
                    td data-label="Dấu hiệu" { @for f in &r.flags { span.tag { (f.label()) } " " } }
                    td data-label="Trả lời" { (answers_read(&campaign, &r.group, &r.cells)) }
                    td {
                        form.inline method="post" action=(action(r.id)) {
                            (csrf_field(&staff)) input type="hidden" name="decision" value="keep";
                            button type="submit" { "Giữ lại" }
                        }
                        form.inline method="post" action=(action(r.id)) {
                            (csrf_field(&staff)) input type="hidden" name="decision" value="exclude";
                            input type="text" name="reason" required maxlength="200" placeholder="Lý do loại";
                            button.go type="submit" { "Loại khỏi chỉ số" }
                        }
                    }
                } } }
            } }
            @if !bursts.is_empty() {
                h2 { "Đợt phiếu có dấu hiệu chỉ ghi theo đợt (" (bursts.len()) ")" }
                p.note {
                    "Phiếu gửi dồn từ một địa chỉ cho biết phiếu đến lúc nào; trong đợt có cả phiếu giấy, phiếu trả lời nhanh bất thường chỉ có thể là phiếu trực tuyến. "
                    "Gắn các dấu hiệu này vào từng phiếu thì ghép với danh sách người đã trả lời sẽ lộ người trả lời, nên chỉ ghi số phiếu như vậy trong mỗi đợt công bố. "
                    "Nếu nghi có người gửi hộ hoặc trả lời qua loa, hãy kiểm tra tại đơn vị."
                }
                div.wrap tabindex="0" role="region" aria-label="Đợt phiếu có dấu hiệu" { table.cards {
                    thead { tr { th { "Đơn vị" } th { "Nhóm" } th { "Lĩnh vực" } th.n { "Phiếu trong đợt" } th.n { "Gửi dồn" } th.n { "Trả lời nhanh" } } }
                    tbody { @for b in &bursts { tr {
                        td data-label="Đơn vị" { (batch_unit(&b.unit)) }
                        td data-label="Nhóm" { (group_name(&b.group)) }
                        td data-label="Lĩnh vực" { (if b.field.is_empty() { "–" } else { b.field.as_str() }) }
                        td.n data-label="Phiếu trong đợt" { (b.n) }
                        td.n data-label="Gửi dồn" { (b.burst) }
                        td.n data-label="Trả lời nhanh" { (b.fast) }
                    } } }
                } }
            }
            h2 { "Đã loại khỏi chỉ số (" (excluded.len()) ")" }
            div.wrap tabindex="0" role="region" aria-label="Đã loại khỏi chỉ số" { table.cards {
                thead { tr { th { "Phiếu" } th { "Đơn vị" } th { "Nhóm" } th { "Lý do" } th {} } }
                tbody { @for r in &excluded { tr {
                    td.code data-label="Phiếu" { "#" (r.id) } td data-label="Đơn vị" { (unit_name(&r.unit)) } td data-label="Nhóm" { (group_name(&r.group)) } td data-label="Lý do" { (r.excluded.as_deref().unwrap_or_default()) }
                    td { form.inline method="post" action=(action(r.id)) {
                        (csrf_field(&staff)) input type="hidden" name="decision" value="restore";
                        button type="submit" { "Khôi phục" }
                    } }
                } } }
            } }
        },
    )
    .into_response())
}

/// What an audit line is about, as an office reads it: a unit and a group
/// by their names («Thị trấn Yên Bình – Người dân, tổ chức»), an invitation
/// code as printed; anything else as it was written.
fn subject_label(campaign: &sipas_shared::Campaign, subject: &str) -> String {
    let unit = |u: &str| campaign.unit(u).map(|x| x.name.clone());
    if let Some((u, g)) = subject.split_once('/')
        && let (Some(unit), Some(group)) = (unit(u), campaign.group(g))
    {
        return format!("{unit} – {}", group.name);
    }
    if let Some(name) = unit(subject) {
        return name;
    }
    crate::slips::display_code(subject)
}

/// A response's answers as a reviewer reads them: each question's text and
/// the answer's label, folded so the decision buttons stay on screen.
fn answers_read(campaign: &sipas_shared::Campaign, group: &str, cells: &BTreeMap<String, String>) -> maud::Markup {
    let questionnaire = campaign.questionnaire_of(group);
    // In the questionnaire's order, then anything it no longer asks.
    let asked: Vec<(&str, &str, String)> = questionnaire
        .map(|q| {
            q.questions()
                .filter_map(|x| {
                    cells.get(&x.code).map(|cell| (x.code.as_str(), x.text.as_str(), x.cell_label(q, cell)))
                })
                .collect()
        })
        .unwrap_or_default();
    let others = cells.iter().filter(|(code, _)| !asked.iter().any(|(c, _, _)| c == code));
    html! {
        details {
            summary { (cells.len()) " câu trả lời" }
            dl.answers {
                @for (_, text, label) in &asked { dt { (text) } dd { (label) } }
                @for (code, cell) in others { dt { (code) } dd { (cell) } }
            }
        }
    }
}

#[derive(Deserialize)]
struct ReviewForm {
    csrf: String,
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn review(
    State(state): State<AppState>,
    Admin(staff): Admin,
    CampaignPath(campaign): CampaignPath,
    Path((_, response)): Path<(String, i64)>,
    Posted(f): Posted<ReviewForm>,
) -> Result<Response, AppError> {
    use sipas_shared::store::field::Review;
    let id = campaign.id.as_str();
    let back = format!("/admin/campaigns/{id}/review");
    let reason = f.reason.trim();
    let decision = match f.decision.as_str() {
        "keep" => Review::Keep,
        "exclude" if !reason.is_empty() => Review::Exclude(reason),
        "exclude" => return flash(&state, &staff, &back, false, "hãy ghi lý do loại phiếu").await,
        "restore" => Review::Restore,
        other => {
            return flash(&state, &staff, &back, false, &format!("quyết định «{other}» không hợp lệ")).await;
        }
    };
    match state.store.review_response(id, response, decision, &staff.user.name).await {
        Ok(()) => {
            let m = match decision {
                Review::Keep => format!("Đã giữ lại phiếu #{response}."),
                Review::Exclude(r) => format!("Đã loại phiếu #{response} khỏi chỉ số: {r}."),
                Review::Restore => format!("Đã đưa phiếu #{response} trở lại chỉ số."),
            };
            flash(&state, &staff, &back, true, &m).await
        }
        Err(StoreError::NotFound(what) | StoreError::Duplicate(what)) => {
            flash(&state, &staff, &back, false, &what).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct DeviceForm {
    csrf: String,
    unit: String,
    label: String,
    #[serde(default)]
    mode: String,
}

/// A tablet mode as the form sends it, checked.
fn tablet_mode(mode: &str) -> Option<String> {
    crate::counter::KioskMode::parse_stored(mode).map(crate::counter::KioskMode::code)
}

/// Revokes a counter device: its screen and kiosk stop at once.
async fn revoke_device(
    State(state): State<AppState>,
    Admin(staff): Admin,
    CampaignPath(campaign): CampaignPath,
    Path((_, device)): Path<(String, i64)>,
    Posted(_): Posted<CsrfOnly>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let back = format!("/admin/campaigns/{id}");
    if state.store.revoke_device(id, device, &staff.user.name).await? {
        flash(&state, &staff, &back, true, "Đã thu hồi màn hình: màn hình và máy tính bảng đó dừng ngay.").await
    } else {
        flash(&state, &staff, &back, false, "không có màn hình này, hoặc đã thu hồi rồi").await
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// Enrols a counter screen: its address is shown this once, as text and as a
/// QR the tablet can scan to open it; only a hash of its secret is kept.
async fn enrol_device(
    State(state): State<AppState>,
    Admin(staff): Admin,
    CampaignPath(campaign): CampaignPath,
    Posted(f): Posted<DeviceForm>,
) -> Result<Response, AppError> {
    let id = campaign.id.as_str();
    let back = format!("/admin/campaigns/{id}");
    let Some(unit) = campaign.unit(&f.unit) else {
        return flash(&state, &staff, &back, false, &format!("đơn vị «{}» không có trong đợt", f.unit)).await;
    };
    let label = f.label.trim();
    let label = if label.is_empty() { "Màn hình tại Bộ phận một cửa" } else { label };
    let secret = auth::new_secret();
    let mode = if f.mode.is_empty() { "open" } else { f.mode.as_str() };
    let Some(mode) = tablet_mode(mode) else {
        return flash(&state, &staff, &back, false, &format!("chế độ máy tính bảng «{mode}» không có")).await;
    };
    state
        .store
        .enrol_device(id, unit.code.as_str(), label, &mode, &auth::secret_hash(&secret), &staff.user.name)
        .await?;
    let link = format!("{}/d/{secret}", state.public_url.trim_end_matches('/'));
    let qr = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M)
        .map(|c| c.render::<qrcode::render::svg::Color>().min_dimensions(240, 240).build())
        .unwrap_or_default();
    Ok(page(
        "Đã đăng ký màn hình",
        Some(&staff),
        html! {
            div.ok role="status" { "Đã đăng ký «" (label) "» cho " (unit.name) "." }
            p {
                "Mở đường dẫn này một lần trên màn hình tại quầy (hoặc quét mã bằng máy tính bảng), trong vòng "
                (sipas_shared::store::field::DEVICE_CLAIM_HOURS) " giờ. Thiết bị giữ khoá riêng của nó trong cookie; "
                "đường dẫn sau đó không mở được gì nữa. Máy tính bảng để người dân tự trả lời: mở đường dẫn có thêm "
                code { "/kiosk" } "."
            }
            p.code { (link) }
            p.code { (link) "/kiosk" }
            div { (maud::PreEscaped(qr)) }
            p { a href=(back) { "← Đợt khảo sát" } }
        },
    )
    .into_response())
}

super::guard::csrf_field!(RemoveFrameForm, SampleForm, ReviewForm, DeviceForm, CsrfOnly);
