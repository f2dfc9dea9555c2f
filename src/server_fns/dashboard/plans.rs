//! Plans (bundles of prices that a plan-based checkout buys whole) and business entities (the
//! legal sellers a guest checkout bills from).

// A form's inputs are the server function's arguments, one each, as a plain form posts them.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The most items the dashboard's plan form takes (the API takes up to 20).
pub const PLAN_FORM_ITEMS: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanView {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub active: bool,
    /// "2 × Espresso beans – $18.00"
    pub items: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityView {
    pub id: String,
    pub name: String,
    pub legal_name: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlansData {
    pub plans: Vec<PlanView>,
    pub entities: Vec<EntityView>,
    /// Active prices a plan can hold: (id, "Product – $19.00 / month").
    pub prices: Vec<(String, String)>,
    pub default_currency: String,
}

/// The organization's plans, business entities and the prices plans can be made of.
#[server(name = DashboardPlans, prefix = "/api/dashboard", endpoint = "plans")]
pub async fn dashboard_plans() -> Result<PlansData, ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    let store = state().store.clone();
    let org = &signed.principal.organization_id;
    let live = signed.principal.mode.is_live();
    let default_currency = super::catalog::ssr::default_currency(&store, org)
        .await
        .map_err(internal)?;
    let products = store
        .products(org, live, &crate::store::PageRequest::first(200))
        .await
        .map_err(internal)?;
    let mut labels = std::collections::HashMap::new();
    let mut prices = Vec::new();
    for product in products.items {
        let name = product.name.clone();
        let view = super::catalog::ssr::product_view(&store, product, &default_currency)
            .await
            .map_err(internal)?;
        for price in view.prices {
            let label = format!("{name} – {}", price.label);
            if price.active {
                prices.push((price.id.clone(), label.clone()));
            }
            labels.insert(price.id, label);
        }
    }
    let plans = store.plans(org, live).await.map_err(internal)?;
    let entities = store
        .business_entities(org, live, &crate::store::PageRequest::first(200))
        .await
        .map_err(internal)?;
    Ok(PlansData {
        plans: plans
            .into_iter()
            .map(|p| PlanView {
                items: p
                    .items
                    .iter()
                    .map(|i| {
                        let label = labels.get(&i.price_id).unwrap_or(&i.price_id);
                        format!("{} × {label}", i.quantity)
                    })
                    .collect(),
                id: p.id,
                name: p.name,
                currency: p.currency.code().to_owned(),
                active: p.active,
            })
            .collect(),
        entities: entities
            .items
            .into_iter()
            .map(|e| EntityView {
                id: e.id,
                name: e.name,
                legal_name: e.legal_name,
                country: e.country,
            })
            .collect(),
        prices,
        default_currency: default_currency.to_uppercase(),
    })
}

/// Creates a plan of up to three prices from the form; errors come back by input.
#[server(name = DashboardCreatePlan, prefix = "/api/dashboard", endpoint = "plan/create")]
pub async fn dashboard_create_plan(
    plan_name: Option<String>,
    plan_currency: Option<String>,
    price1: Option<String>,
    quantity1: Option<String>,
    price2: Option<String>,
    quantity2: Option<String>,
    price3: Option<String>,
    quantity3: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::field::Field;
    use crate::service::ServiceError;

    let signed = signed_in().await?;
    let rows = [
        (&price1, &quantity1),
        (&price2, &quantity2),
        (&price3, &quantity3),
    ];
    // Rows left empty are not items; the input of item `i` is that of the `i`-th filled row.
    let filled: Vec<usize> = (0..rows.len())
        .filter(|&r| rows[r].0.as_deref().is_some_and(|p| !p.trim().is_empty()))
        .collect();
    let items = filled
        .iter()
        .map(|&r| {
            let quantity = match rows[r].1.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(q) => Some(q.parse::<i64>().unwrap_or(0)),
            };
            (rows[r].0.clone(), quantity)
        })
        .collect();
    let draft = crate::service::catalog::PlanDraft {
        name: plan_name.clone(),
        currency: plan_currency.clone(),
        items,
    };
    let outcome = match crate::service::catalog::create_plan(
        &state().store,
        &signed.principal,
        draft,
    )
    .await
    {
        Ok(_) => Ok("/dashboard/plans".to_owned()),
        Err(ServiceError::Invalid(errors)) => Err(errors),
        Err(ServiceError::Conflict(error)) => Err(vec![error]),
        Err(other) => return Err(service_error(other)),
    };
    let row_of = |i: usize| filled.get(i).copied().unwrap_or(0) + 1;
    answer_form(
        "/dashboard/plans",
        outcome.map_err(|errors| {
            by_input(errors, |f| {
                Some(match f {
                    Field::PlanName => "plan_name".to_owned(),
                    Field::PlanCurrency => "plan_currency".to_owned(),
                    Field::PlanItems => "price1".to_owned(),
                    Field::PlanItemPrice(i) => format!("price{}", row_of(*i)),
                    Field::PlanItemQuantity(i) => format!("quantity{}", row_of(*i)),
                    _ => return None,
                })
            })
        }),
        &[
            ("plan_name", &plan_name),
            ("plan_currency", &plan_currency),
            ("price1", &price1),
            ("quantity1", &quantity1),
            ("price2", &price2),
            ("quantity2", &quantity2),
            ("price3", &price3),
            ("quantity3", &quantity3),
        ],
    );
    Ok(())
}

/// Creates a business entity from the form; errors come back by input.
#[server(name = DashboardCreateEntity, prefix = "/api/dashboard", endpoint = "business-entity/create")]
pub async fn dashboard_create_entity(
    entity_name: Option<String>,
    entity_legal_name: Option<String>,
    entity_country: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::field::Field;
    use crate::service::ServiceError;

    let signed = signed_in().await?;
    let draft = crate::domain::catalog::BusinessEntityDraft {
        name: entity_name.clone(),
        legal_name: entity_legal_name.clone(),
        country: entity_country.clone(),
    };
    let outcome = match crate::service::catalog::create_business_entity(
        &state().store,
        &signed.principal,
        draft,
    )
    .await
    {
        Ok(_) => Ok("/dashboard/plans".to_owned()),
        Err(ServiceError::Invalid(errors)) => Err(errors),
        Err(ServiceError::Conflict(error)) => Err(vec![error]),
        Err(other) => return Err(service_error(other)),
    };
    answer_form(
        "/dashboard/plans",
        outcome.map_err(|errors| {
            by_input(errors, |f| {
                Some(
                    match f {
                        Field::EntityCountry => "entity_country",
                        _ => "entity_name",
                    }
                    .to_owned(),
                )
            })
        }),
        &[
            ("entity_name", &entity_name),
            ("entity_legal_name", &entity_legal_name),
            ("entity_country", &entity_country),
        ],
    );
    Ok(())
}
