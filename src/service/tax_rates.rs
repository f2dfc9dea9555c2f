//! Tax rates, created, changed and archived through kassa's API, Stripe's dialect and the
//! dashboard. Their percentage, inclusiveness and country never change once made: archive one
//! and make another instead, as Stripe has it. A session applies the rates in effect when it was
//! made (`Store::tax_rates_at`).

use super::api_keys::Principal;
use super::ids::new_id;
use super::{ServiceError, ServiceResult};
use crate::domain::catalog::{TaxRate, TaxRateDraft, check_tax_rate};
use crate::domain::field::Field;
use crate::domain::ids;
use crate::domain::session::draft::check_metadata;
use crate::store::{Store, TaxRateChanges, TaxRateDetails, TaxRateRecord};

/// Creates a tax rate, active unless `active` says otherwise.
pub async fn create_tax_rate(
    store: &Store,
    principal: &Principal,
    draft: &TaxRateDraft,
    active: Option<bool>,
    metadata: Option<serde_json::Value>,
) -> ServiceResult<TaxRateRecord> {
    let mut errors = Vec::new();
    let checked = check_tax_rate(draft)
        .map_err(|mut e| errors.append(&mut e))
        .ok();
    let metadata = checked_metadata(metadata, &mut errors);
    let (Some(checked), true) = (checked, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let rate = TaxRate {
        id: new_id(ids::TAX_RATE),
        display_name: checked.display_name,
        rate: checked.rate,
        inclusive: checked.inclusive,
        country: checked.country,
        active: active.unwrap_or(true),
    };
    let details = TaxRateDetails {
        description: checked.description.as_deref(),
        jurisdiction: checked.jurisdiction.as_deref(),
        tax_type: checked.tax_type.as_deref(),
        metadata: metadata.as_deref(),
    };
    Ok(store
        .insert_tax_rate(
            &principal.organization_id,
            principal.mode.is_live(),
            &rate,
            &details,
        )
        .await?)
}

/// What a change asks for; `None` leaves a field as it is, `Some("")` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct TaxRateUpdate {
    pub active: Option<bool>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub jurisdiction: Option<String>,
    pub tax_type: Option<String>,
    /// Replaces the metadata whole.
    pub metadata: Option<serde_json::Value>,
}

/// Changes a tax rate's names, metadata or whether it is active, checked as a new one would be.
pub async fn update_tax_rate(
    store: &Store,
    principal: &Principal,
    id: &str,
    update: TaxRateUpdate,
) -> ServiceResult<TaxRateRecord> {
    let livemode = principal.mode.is_live();
    let current = store
        .tax_rate(&principal.organization_id, livemode, id)
        .await?
        .ok_or(ServiceError::NotFound("tax rate"))?;
    // The rate as it would be, checked whole: the same rules as at creation.
    let draft = TaxRateDraft {
        display_name: update
            .display_name
            .or_else(|| Some(current.display_name.clone())),
        percentage: Some(current.rate().percent_string()),
        inclusive: Some(current.inclusive),
        country: current.country.clone(),
        description: update.description.or(current.description),
        jurisdiction: update.jurisdiction.or(current.jurisdiction),
        tax_type: update.tax_type.or(current.tax_type),
    };
    let mut errors = Vec::new();
    let checked = check_tax_rate(&draft)
        .map_err(|mut e| errors.append(&mut e))
        .ok();
    let metadata = checked_metadata(update.metadata, &mut errors);
    let (Some(checked), true) = (checked, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let changes = TaxRateChanges {
        active: update.active,
        display_name: checked.display_name,
        description: checked.description,
        jurisdiction: checked.jurisdiction,
        tax_type: checked.tax_type,
        metadata,
    };
    store
        .update_tax_rate(&principal.organization_id, livemode, id, &changes)
        .await?
        .ok_or(ServiceError::NotFound("tax rate"))
}

/// Metadata checked and written as JSON; a fault joins `errors`.
fn checked_metadata(
    metadata: Option<serde_json::Value>,
    errors: &mut Vec<crate::domain::field::FieldError>,
) -> Option<String> {
    match check_metadata(metadata?, Field::Metadata) {
        Ok(m) => Some(serde_json::Value::Object(m).to_string()),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}
