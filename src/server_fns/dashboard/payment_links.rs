//! Payment links in the dashboard: the list with each link's address and QR code, a form that
//! makes one, and turning one off or on.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentLinkView {
    pub id: String,
    /// The address buyers open: `{public}/l/{id}`.
    pub url: String,
    /// The address as a QR code, an SVG drawn on the server.
    pub qr_svg: String,
    /// What a visit sells: `2 × Espresso beans ($24.00)`.
    pub sells: Vec<String>,
    pub active: bool,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentLinksPage {
    pub links: Vec<PaymentLinkView>,
    /// The active prices a new link can sell: (id, label).
    pub prices: Vec<(String, String)>,
}

/// The organization's payment links in the signed-in mode (the latest 100), newest first.
#[server(name = DashboardPaymentLinks, prefix = "/api/dashboard", endpoint = "payment-links")]
pub async fn dashboard_payment_links() -> Result<PaymentLinksPage, ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    let app = state();
    let org = &signed.principal.organization_id;
    let live = signed.principal.mode.is_live();
    let names: std::collections::HashMap<String, String> =
        super::catalog::ssr::price_labels(&app.store, org, live, false)
            .await
            .map_err(internal)?
            .into_iter()
            .collect();
    let records = app
        .store
        .payment_links(org, live, &crate::store::PageRequest::first(100))
        .await
        .map_err(internal)?
        .items;
    let mut links = Vec::with_capacity(records.len());
    for record in records {
        let template = record.template().map_err(internal)?;
        let url = format!("{}/l/{}", app.public_base, record.id);
        let qr_svg = qrcode::QrCode::new(url.as_bytes())
            .map(|code| {
                code.render::<qrcode::render::svg::Color<'_>>()
                    .min_dimensions(120, 120)
                    .build()
            })
            .unwrap_or_default();
        links.push(PaymentLinkView {
            sells: template
                .lines
                .iter()
                .map(|line| {
                    let name = names.get(&line.price).unwrap_or(&line.price);
                    format!("{} × {name}", line.quantity)
                })
                .collect(),
            id: record.id,
            url,
            qr_svg,
            active: record.active,
            created: when(record.created_at),
        });
    }
    let prices = super::catalog::ssr::price_labels(&app.store, org, live, true)
        .await
        .map_err(internal)?;
    Ok(PaymentLinksPage { links, prices })
}

/// Makes a payment link from the form: one price, its quantity, whether the buyer may change
/// it, and whether promotion codes are taken.
#[server(name = DashboardCreatePaymentLink, prefix = "/api/dashboard", endpoint = "payment-link/create")]
pub async fn dashboard_create_payment_link(
    price: Option<String>,
    quantity: Option<String>,
    adjustable: Option<String>,
    allow_promotion_codes: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::field::{Field, FieldError};
    use crate::domain::payment_link::{LinkAdjustable, LinkLine, LinkTemplate};
    use crate::service::ServiceError;

    let signed = signed_in().await?;
    let back = "/dashboard/payment-links";
    let typed: [(&str, &Option<String>); 4] = [
        ("price", &price),
        ("quantity", &quantity),
        ("adjustable", &adjustable),
        ("allow_promotion_codes", &allow_promotion_codes),
    ];
    let chosen = price.as_deref().map(str::trim).filter(|p| !p.is_empty());
    let count = quantity
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .unwrap_or("1")
        .parse::<i64>();
    let (Some(chosen), Ok(count)) = (chosen, count.clone()) else {
        let mut errors = Vec::new();
        if chosen.is_none() {
            errors.push(("price".to_owned(), "Choose a price to sell.".to_owned()));
        }
        if count.is_err() {
            errors.push(("quantity".to_owned(), "Enter a whole number.".to_owned()));
        }
        answer_form(back, Err(errors), &typed);
        return Ok(());
    };
    let template = LinkTemplate {
        lines: vec![LinkLine {
            price: chosen.to_owned(),
            quantity: count,
            adjustable: adjustable.is_some().then_some(LinkAdjustable {
                enabled: true,
                minimum: None,
                maximum: None,
            }),
        }],
        allow_promotion_codes: allow_promotion_codes.is_some(),
        ..LinkTemplate::default()
    };
    let outcome = match crate::service::payment_links::create_link(
        &state().store,
        &signed.principal,
        template,
        serde_json::Map::new(),
        crate::store::now_ms(),
    )
    .await
    {
        Ok(_) => Ok(back.to_owned()),
        Err(ServiceError::Invalid(errors)) => Err(by_input(errors, |f: &Field| {
            Some(
                match f {
                    Field::LinePrice(_) | Field::LineItems | Field::Currency => "price",
                    Field::LineQuantity(_) => "quantity",
                    _ => "form",
                }
                .to_owned(),
            )
        })),
        Err(ServiceError::Conflict(FieldError { message, .. })) => {
            Err(vec![("form".to_owned(), message)])
        }
        Err(other) => return Err(service_error(other)),
    };
    answer_form(back, outcome, &typed);
    Ok(())
}

/// Turns a link off (a visit is told it no longer sells) or on again.
#[server(name = DashboardSetPaymentLink, prefix = "/api/dashboard", endpoint = "payment-link/active")]
pub async fn dashboard_set_payment_link(
    id: String,
    active: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    crate::service::payment_links::update_link(
        &state().store,
        &signed.principal,
        &id,
        Some(active.as_deref() == Some("true")),
        None,
        None,
        crate::store::now_ms(),
    )
    .await
    .map_err(service_error)?;
    leptos_axum::redirect("/dashboard/payment-links");
    Ok(())
}
