//! `GET /qr/{token}.svg` and `.png`: the invitation link as a QR code, sized
//! to scan from a printed slip; `GET /qr/c/{campaign}~{unit}.svg|png`: a
//! counter's fixed link, for a campaign that allows printed posters.

use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use image::Luma;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use sipas_shared::Token;
use std::io::Cursor;

pub fn router() -> Router<AppState> {
    Router::new().route("/qr/{file}", get(show_qr)).route("/qr/c/{file}", get(show_counter_qr))
}

/// A counter's fixed address (a poster's QR), open only where the campaign
/// allows posters (SPEC §10: otherwise only an enrolled screen's rotating code).
pub fn counter_link(public_url: &str, campaign: &str, unit: &str) -> String {
    format!("{}/c/{}", public_url.trim_end_matches('/'), crate::counter_code(campaign, unit))
}

async fn show_counter_qr(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, AppError> {
    let missing = || AppError::NotFound("mã QR".into());
    let (counter, ext) = file.rsplit_once('.').ok_or_else(missing)?;
    let (id, unit) = counter.split_once('~').ok_or_else(missing)?;
    let campaign = state.store.campaign(id).await?.ok_or_else(missing)?;
    if !campaign.counter_poster || campaign.unit(unit).is_none() {
        return Err(missing());
    }
    qr_image(&counter_link(&state.public_url, &campaign.id, unit), ext, 600)
}

/// The link a QR code carries.
pub fn link(public_url: &str, token: &Token) -> String {
    format!("{}/s/{token}", public_url.trim_end_matches('/'))
}

async fn show_qr(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, AppError> {
    let (raw, ext) = file.rsplit_once('.').ok_or_else(|| AppError::NotFound("mã QR".into()))?;
    let token = Token::parse(raw).ok_or_else(|| AppError::NotFound("mã QR".into()))?;
    if state.store.invitation(&token).await?.is_none() {
        return Err(AppError::NotFound("mã QR".into()));
    }
    qr_image(&link(&state.public_url, &token), ext, 300)
}

/// `text` as a QR image (`svg` or `png`, at least `size` pixels across).
fn qr_image(text: &str, ext: &str, size: u32) -> Result<Response, AppError> {
    // Medium error correction survives a smudged or folded slip.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    match ext {
        "svg" => {
            let body = code.render::<svg::Color>().min_dimensions(size, size).quiet_zone(true).build();
            Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "private, max-age=86400")], body)
                .into_response())
        }
        "png" => {
            let img = code.render::<Luma<u8>>().min_dimensions(size, size).quiet_zone(true).build();
            let mut png = Vec::new();
            img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "private, max-age=86400")], png)
                .into_response())
        }
        _ => Err(AppError::NotFound("mã QR".into())),
    }
}
