//! Products and their prices: list, create, edit, archive.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    pub prices: Vec<PriceView>,
    /// The organization's currency, what a new price is in unless another is chosen.
    pub default_currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceView {
    pub id: String,
    /// `$19.00 / month`
    pub label: String,
    pub active: bool,
}

/// The organization's products in the current mode, newest first, each with its prices.
#[server(name = DashboardProducts, prefix = "/api/dashboard", endpoint = "products")]
pub async fn dashboard_products() -> Result<Vec<ProductView>, ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    let store = state().store.clone();
    let org = &signed.principal.organization_id;
    let live = signed.principal.mode.is_live();
    let products = store
        .products(org, live, &crate::store::PageRequest::first(200))
        .await
        .map_err(internal)?;
    let currency = ssr::default_currency(&store, org).await.map_err(internal)?;
    let mut views = Vec::new();
    for product in products.items {
        views.push(
            ssr::product_view(&store, product, &currency)
                .await
                .map_err(internal)?,
        );
    }
    Ok(views)
}

#[server(name = DashboardProduct, prefix = "/api/dashboard", endpoint = "product")]
pub async fn dashboard_product(id: String) -> Result<ProductView, ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    let store = state().store.clone();
    let org = &signed.principal.organization_id;
    let product = store
        .product(org, signed.principal.mode.is_live(), &id)
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    let currency = ssr::default_currency(&store, org).await.map_err(internal)?;
    ssr::product_view(&store, product, &currency)
        .await
        .map_err(internal)
}

/// Creates a product with its first price: `amount` in the currency's major units (`19.99`),
/// `billing` one of once, day, week, month, year.
#[server(name = DashboardCreateProduct, prefix = "/api/dashboard", endpoint = "product/create")]
pub async fn dashboard_create_product(
    name: Option<String>,
    description: Option<String>,
    amount: Option<String>,
    currency: Option<String>,
    billing: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::catalog::ProductDraft;
    use crate::service::ServiceError;
    use crate::service::catalog::{PriceOptions, ProductOptions, create_product};

    let signed = signed_in().await?;
    let store = state().store.clone();
    let default = ssr::default_currency(&store, &signed.principal.organization_id)
        .await
        .map_err(internal)?;
    let draft = ProductDraft {
        name: name.clone(),
        description: description.clone().filter(|d| !d.trim().is_empty()),
        ..ProductDraft::default()
    };
    let outcome = match ssr::price_draft(&amount, &currency, &billing, &default) {
        // Every field at fault at once: the product's own checks too.
        Err(mut errors) => {
            if let Err(more) = crate::domain::catalog::check_product(draft) {
                errors.extend(more);
            }
            Err(errors)
        }
        Ok(price) => {
            match create_product(
                &store,
                &signed.principal,
                draft,
                ProductOptions::default(),
                Some((price, PriceOptions::default())),
            )
            .await
            {
                Ok((product, _)) => Ok(format!("/dashboard/products/{}", product.id)),
                Err(ServiceError::Invalid(errors)) => Err(errors),
                Err(ServiceError::Conflict(error)) => Err(vec![error]),
                Err(other) => return Err(service_error(other)),
            }
        }
    };
    answer_form(
        "/dashboard/products",
        outcome.map_err(|e| by_input(e, ssr::input_of)),
        &[
            ("name", &name),
            ("description", &description),
            ("amount", &amount),
            ("currency", &currency),
            ("billing", &billing),
        ],
    );
    Ok(())
}

/// Adds a price to a product.
#[server(name = DashboardCreatePrice, prefix = "/api/dashboard", endpoint = "price/create")]
pub async fn dashboard_create_price(
    product_id: String,
    amount: Option<String>,
    currency: Option<String>,
    billing: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::service::ServiceError;
    use crate::service::catalog::{PriceOptions, create_price};

    let signed = signed_in().await?;
    let store = state().store.clone();
    let org = &signed.principal.organization_id;
    // Someone else's product is not found, whatever the form says.
    store
        .product(org, signed.principal.mode.is_live(), &product_id)
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    let default = ssr::default_currency(&store, org).await.map_err(internal)?;
    let page = format!("/dashboard/products/{product_id}");
    let outcome = match ssr::price_draft(&amount, &currency, &billing, &default) {
        Err(errors) => Err(errors),
        Ok(price) => match create_price(
            &store,
            &signed.principal,
            Some(&product_id),
            price,
            PriceOptions::default(),
        )
        .await
        {
            Ok(_) => Ok(page.clone()),
            Err(ServiceError::Invalid(errors)) => Err(errors),
            Err(ServiceError::Conflict(error)) => Err(vec![error]),
            Err(other) => return Err(service_error(other)),
        },
    };
    answer_form(
        &page,
        outcome.map_err(|e| by_input(e, ssr::input_of)),
        &[
            ("amount", &amount),
            ("currency", &currency),
            ("billing", &billing),
        ],
    );
    Ok(())
}

/// Renames or redescribes a product.
#[server(name = DashboardUpdateProduct, prefix = "/api/dashboard", endpoint = "product/update")]
pub async fn dashboard_update_product(
    id: String,
    name: Option<String>,
    description: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::field::{Field, FieldError};
    use crate::service::ServiceError;
    use crate::store::ProductChanges;

    let signed = signed_in().await?;
    let page = format!("/dashboard/products/{id}");
    let name_given = name
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    let outcome = if name_given.is_empty() {
        Err(vec![FieldError::missing(
            Field::ProductName,
            "Enter a name.",
        )])
    } else {
        let changes = ProductChanges {
            name: Some(name_given),
            description: Some(description.clone().filter(|d| !d.trim().is_empty())),
            ..ProductChanges::default()
        };
        match crate::service::catalog::update_product(
            &state().store,
            &signed.principal,
            &id,
            changes,
        )
        .await
        {
            Ok(_) => Ok(page.clone()),
            Err(ServiceError::Invalid(errors)) => Err(errors),
            Err(ServiceError::Conflict(error)) => Err(vec![error]),
            Err(other) => return Err(service_error(other)),
        }
    };
    answer_form(
        &page,
        outcome.map_err(|e| by_input(e, ssr::input_of)),
        &[("name", &name), ("description", &description)],
    );
    Ok(())
}

/// Archives (or restores) a product, or one of its prices when `price_id` is given. Archived
/// prices and products cannot be put in new checkouts; what was sold with them stays.
#[server(name = DashboardArchive, prefix = "/api/dashboard", endpoint = "product/archive")]
pub async fn dashboard_archive(
    product_id: String,
    price_id: Option<String>,
    active: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::store::{PriceChanges, ProductChanges};

    let signed = signed_in().await?;
    let store = state().store.clone();
    let active = Some(active.as_deref() == Some("true"));
    match price_id.filter(|p| !p.is_empty()) {
        Some(price_id) => {
            let price = store
                .price(
                    &signed.principal.organization_id,
                    signed.principal.mode.is_live(),
                    &price_id,
                )
                .await
                .map_err(internal)?
                .filter(|p| p.product_id == product_id)
                .ok_or_else(not_found)?;
            let changes = PriceChanges {
                active,
                ..PriceChanges::default()
            };
            crate::service::catalog::update_price(&store, &signed.principal, &price.id, changes)
                .await
                .map_err(service_error)?;
        }
        None => {
            let changes = ProductChanges {
                active,
                ..ProductChanges::default()
            };
            crate::service::catalog::update_product(
                &store,
                &signed.principal,
                &product_id,
                changes,
            )
            .await
            .map_err(service_error)?;
        }
    }
    leptos_axum::redirect(&format!("/dashboard/products/{product_id}"));
    Ok(())
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::{PriceView, ProductView};
    use crate::domain::catalog::PriceDraft;
    use crate::domain::field::{Field, FieldError};
    use crate::domain::money::{Currency, parse_major};
    use crate::store::{PriceRecord, ProductRecord, Store, StoreResult};

    pub async fn default_currency(store: &Store, org: &str) -> StoreResult<String> {
        Ok(store
            .organization(org)
            .await?
            .map(|o| o.default_currency)
            .unwrap_or_else(|| "usd".to_owned()))
    }

    /// `$19.00 / month`, `€5.00 once`.
    pub fn price_label(price: &PriceRecord) -> String {
        match price.to_domain() {
            Ok(p) => match p.recurring {
                Some(r) => format!("{} / {}", p.unit_amount.display(), r.describe()),
                None => format!("{} once", p.unit_amount.display()),
            },
            Err(_) => price.id.clone(),
        }
    }

    pub async fn product_view(
        store: &Store,
        product: ProductRecord,
        default_currency: &str,
    ) -> StoreResult<ProductView> {
        let prices = store.prices_of_product(&product.id).await?;
        Ok(ProductView {
            id: product.id,
            name: product.name,
            description: product.description,
            active: product.active,
            prices: prices
                .iter()
                .map(|p| PriceView {
                    id: p.id.clone(),
                    label: price_label(p),
                    active: p.active,
                })
                .collect(),
            default_currency: default_currency.to_uppercase(),
        })
    }

    /// (price id, "Product — $19.00 / month") for every price of the mode, `active_only` or all.
    pub async fn price_labels(
        store: &Store,
        org: &str,
        live: bool,
        active_only: bool,
    ) -> StoreResult<Vec<(String, String)>> {
        let products = store
            .products(org, live, &crate::store::PageRequest::first(200))
            .await?;
        let mut labels = Vec::new();
        for product in products.items.iter().filter(|p| p.active || !active_only) {
            for price in store.prices_of_product(&product.id).await? {
                if price.active || !active_only {
                    labels.push((
                        price.id.clone(),
                        format!("{} — {}", product.name, price_label(&price)),
                    ));
                }
            }
        }
        Ok(labels)
    }

    /// A price from the form's amount (major units), currency and billing period.
    pub fn price_draft(
        amount: &Option<String>,
        currency: &Option<String>,
        billing: &Option<String>,
        default_currency: &str,
    ) -> Result<PriceDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = currency
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or(default_currency);
        let currency = Currency::parse(code)
            .map_err(|e| errors.push(FieldError::invalid(Field::PriceCurrency, e.to_string())))
            .ok();
        let unit_amount = match (
            amount.as_deref().map(str::trim).filter(|a| !a.is_empty()),
            currency,
        ) {
            (None, _) => {
                errors.push(FieldError::missing(
                    Field::PriceUnitAmount,
                    "Enter an amount, such as 19.99.",
                ));
                None
            }
            (Some(typed), Some(currency)) => match parse_major(typed, currency) {
                Ok(minor) => Some(minor),
                Err(e) => {
                    errors.push(FieldError::invalid(Field::PriceUnitAmount, e.to_string()));
                    None
                }
            },
            (Some(_), None) => None,
        };
        let (price_type, interval) = match billing.as_deref().unwrap_or("once") {
            "once" | "" => ("single_payment", None),
            unit @ ("day" | "week" | "month" | "year") => ("subscription", Some(unit.to_owned())),
            _ => {
                errors.push(FieldError::invalid(
                    Field::PriceInterval,
                    "Choose how often the price is paid.",
                ));
                ("single_payment", None)
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        // `check_price` checks the whole price again, by the same rules as the API.
        Ok(PriceDraft {
            price_type: Some(price_type.to_owned()),
            unit_amount,
            currency: Some(code.to_lowercase()),
            interval_count: interval.as_ref().map(|_| 1),
            interval_unit: interval,
            ..PriceDraft::default()
        })
    }

    /// The form input a catalog error belongs to.
    pub fn input_of(field: &Field) -> Option<String> {
        Some(
            match field {
                Field::ProductName | Field::ProductSlug => "name",
                Field::PriceUnitAmount => "amount",
                Field::PriceCurrency => "currency",
                Field::PriceType | Field::PriceInterval | Field::PriceIntervalCount => "billing",
                _ => "form",
            }
            .to_owned(),
        )
    }
}
