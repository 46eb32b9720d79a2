//! What a staff handler asks of its request, stated in its signature: who
//! may call it ([`Admin`], [`FieldStaff`]), which campaign and unit its path
//! names ([`CampaignPath`], [`UnitPath`]: a Vietnamese 404 for an unknown
//! one, a 403 for a unit outside an enumerator's assignment), and a posted
//! form whose CSRF token is checked before the handler sees it ([`Posted`]).
//!
//! The signed-in [`Staff`] is read once per request and kept in its
//! extensions, so a handler taking several guards authenticates once.

use crate::auth::Staff;
use crate::{AppError, AppState};
use axum::extract::{Form, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use sipas_shared::Campaign;
use sipas_shared::model::auth::Role;

/// The staff member a request was made by, authenticated once.
async fn staff_of(parts: &mut Parts, state: &AppState) -> Result<Staff, Response> {
    if let Some(staff) = parts.extensions.get::<Staff>() {
        return Ok(staff.clone());
    }
    let staff = Staff::from_request_parts(parts, state).await?;
    parts.extensions.insert(staff.clone());
    Ok(staff)
}

/// A signed-in admin of the home-affairs office.
pub struct Admin(pub Staff);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let staff = staff_of(parts, state).await?;
        staff.require(&[Role::Admin]).map_err(IntoResponse::into_response)?;
        Ok(Admin(staff))
    }
}

/// A signed-in admin or enumerator: those who work the quotas.
pub struct FieldStaff(pub Staff);

impl FromRequestParts<AppState> for FieldStaff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let staff = staff_of(parts, state).await?;
        staff.require(&[Role::Admin, Role::Enumerator]).map_err(IntoResponse::into_response)?;
        Ok(FieldStaff(staff))
    }
}

#[derive(serde::Deserialize)]
struct CampaignParam {
    campaign: String,
}

#[derive(serde::Deserialize)]
struct UnitParams {
    campaign: String,
    unit: String,
}

/// The campaign `id`, or a Vietnamese 404.
pub(crate) async fn load_campaign(store: &dyn sipas_shared::Store, id: &str) -> Result<Campaign, AppError> {
    store.campaign(id).await?.ok_or_else(|| AppError::NotFound(format!("đợt khảo sát «{id}»")))
}

async fn load(state: &AppState, id: &str) -> Result<Campaign, Response> {
    load_campaign(&*state.store, id).await.map_err(IntoResponse::into_response)
}

/// The campaign `{campaign}` in the path names.
pub struct CampaignPath(pub Campaign);

impl FromRequestParts<AppState> for CampaignPath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Path(p) =
            Path::<CampaignParam>::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        Ok(CampaignPath(load(state, &p.campaign).await?))
    }
}

/// The campaign and unit `{campaign}/{unit}` name, once the signed-in
/// person's right to the unit is checked (an enumerator works only the
/// units assigned to them). The unit is the path's, checked against the
/// campaign by the handler where it needs the unit's record.
pub struct UnitPath {
    pub campaign: Campaign,
    pub unit: String,
}

impl FromRequestParts<AppState> for UnitPath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Path(p) =
            Path::<UnitParams>::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let staff = staff_of(parts, state).await?;
        staff.require_unit(&p.campaign, &p.unit).map_err(IntoResponse::into_response)?;
        Ok(UnitPath { campaign: load(state, &p.campaign).await?, unit: p.unit })
    }
}

/// A form that carries the CSRF token of the page it came from.
pub trait Csrf {
    fn csrf(&self) -> &str;
}

/// A posted staff form, its CSRF token checked against the signed-in
/// person's session before the handler runs.
pub struct Posted<F>(pub F);

impl<F> FromRequest<AppState> for Posted<F>
where
    F: Csrf + DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let staff = staff_of(&mut parts, state).await?;
        let Form(form) = Form::<F>::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        staff.check_csrf(form.csrf()).map_err(IntoResponse::into_response)?;
        Ok(Posted(form))
    }
}

/// `impl Csrf` for forms whose token is their `csrf` field.
macro_rules! csrf_field {
    ($($form:ty),* $(,)?) => {
        $(impl $crate::staff::guard::Csrf for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })*
    };
}
pub(crate) use csrf_field;
