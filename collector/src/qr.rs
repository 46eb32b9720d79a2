//! `GET /qr/{token}.svg` and `.png`: the invitation link as a QR code, sized
//! to scan from a printed slip.

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
    Router::new().route("/qr/{file}", get(show_qr))
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
    // Medium error correction survives a smudged or folded slip.
    let code = QrCode::with_error_correction_level(link(&state.public_url, &token).as_bytes(), EcLevel::M)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    match ext {
        "svg" => {
            let body = code.render::<svg::Color>().min_dimensions(240, 240).quiet_zone(true).build();
            Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "private, max-age=86400")], body)
                .into_response())
        }
        "png" => {
            let img = code.render::<Luma<u8>>().min_dimensions(300, 300).quiet_zone(true).build();
            let mut png = Vec::new();
            img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "private, max-age=86400")], png)
                .into_response())
        }
        _ => Err(AppError::NotFound("mã QR".into())),
    }
}
