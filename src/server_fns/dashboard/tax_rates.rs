//! Tax rates: the list, the form that makes one, and archiving (or reactivating) one.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRateView {
    pub id: String,
    pub display_name: String,
    /// "19%", "8.875%".
    pub percentage: String,
    /// "Included in prices" or "Added at checkout".
    pub inclusive: bool,
    /// The country's code, or `None` for everywhere else.
    pub country: Option<String>,
    pub description: Option<String>,
    pub active: bool,
}

/// The organization's tax rates in the signed-in mode (the latest 200), newest first.
#[server(name = DashboardTaxRates, prefix = "/api/dashboard", endpoint = "tax-rates")]
pub async fn dashboard_tax_rates() -> Result<Vec<TaxRateView>, ServerFnError> {
    use super::ssr::*;
    use crate::store::PageRequest;
    let signed = signed_in().await?;
    let page = state()
        .store
        .tax_rates_page(
            &signed.principal.organization_id,
            signed.principal.mode.is_live(),
            None,
            &PageRequest::first(200),
        )
        .await
        .map_err(internal)?;
    Ok(page
        .items
        .into_iter()
        .map(|r| TaxRateView {
            percentage: format!("{}%", r.rate().percent_string()),
            id: r.id,
            display_name: r.display_name,
            inclusive: r.inclusive,
            country: r.country,
            description: r.description,
            active: r.active,
        })
        .collect())
}

/// Creates a tax rate from the form; errors come back by input.
#[server(name = DashboardCreateTaxRate, prefix = "/api/dashboard", endpoint = "tax-rate/create")]
pub async fn dashboard_create_tax_rate(
    display_name: Option<String>,
    percentage: Option<String>,
    inclusive: Option<String>,
    country: Option<String>,
    description: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::catalog::TaxRateDraft;
    use crate::service::ServiceError;

    let signed = signed_in().await?;
    let draft = TaxRateDraft {
        display_name: display_name.clone(),
        percentage: percentage.clone(),
        inclusive: match inclusive.as_deref() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        },
        country: country.clone(),
        description: description.clone(),
        ..TaxRateDraft::default()
    };
    let outcome = match crate::service::tax_rates::create_tax_rate(
        &state().store,
        &signed.principal,
        &draft,
        None,
        None,
    )
    .await
    {
        Ok(_) => Ok("/dashboard/tax-rates".to_owned()),
        Err(ServiceError::Invalid(errors)) => Err(errors),
        Err(other) => return Err(service_error(other)),
    };
    answer_form(
        "/dashboard/tax-rates",
        outcome.map_err(|errors| by_input(errors, |f| Some(f.to_string()))),
        &[
            ("display_name", &display_name),
            ("percentage", &percentage),
            ("inclusive", &inclusive),
            ("country", &country),
            ("description", &description),
        ],
    );
    Ok(())
}

/// Archives a tax rate (checkouts made from now no longer apply it; those made before still do)
/// or puts it back in effect.
#[server(name = DashboardSetTaxRate, prefix = "/api/dashboard", endpoint = "tax-rate/active")]
pub async fn dashboard_set_tax_rate(
    id: String,
    active: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::service::tax_rates::{TaxRateUpdate, update_tax_rate};
    let signed = signed_in().await?;
    let update = TaxRateUpdate {
        active: Some(active.as_deref() == Some("true")),
        ..TaxRateUpdate::default()
    };
    update_tax_rate(&state().store, &signed.principal, &id, update)
        .await
        .map_err(service_error)?;
    leptos_axum::redirect("/dashboard/tax-rates");
    Ok(())
}
