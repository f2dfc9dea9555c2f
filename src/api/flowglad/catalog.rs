//! `/api/v1/products` and `/api/v1/prices` in Flowglad's shapes.

use super::{Body, FlowgladAuth, FlowgladError, ListBody, ListQuery, Names, list_of};
use crate::domain::catalog::{PriceDraft, ProductDraft};
use crate::service::catalog::{self, PriceOptions, ProductOptions};
use crate::service::{ServiceError, api_keys::Principal};
use crate::state::AppState;
use crate::store::{PriceChanges, PriceRecord, ProductChanges, ProductRecord};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};

/// Flowglad's product record.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductBody {
    id: String,
    created_at: i64,
    updated_at: i64,
    livemode: bool,
    name: String,
    description: Option<String>,
    #[serde(rename = "imageURL")]
    image_url: Option<String>,
    organization_id: String,
    active: bool,
    singular_quantity_label: Option<String>,
    plural_quantity_label: Option<String>,
    pricing_model_id: String,
    default: bool,
    slug: String,
}

impl From<&ProductRecord> for ProductBody {
    fn from(p: &ProductRecord) -> Self {
        ProductBody {
            id: p.id.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            livemode: p.livemode,
            name: p.name.clone(),
            description: p.description.clone(),
            image_url: p.image_url.clone(),
            organization_id: p.organization_id.clone(),
            active: p.active,
            singular_quantity_label: p.singular_quantity_label.clone(),
            plural_quantity_label: p.plural_quantity_label.clone(),
            pricing_model_id: p.pricing_model_id.clone(),
            default: p.is_default,
            slug: p.slug.clone(),
        }
    }
}

/// A product with its prices, as `GET /api/v1/products/{id}` answers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductWithPricesBody {
    #[serde(flatten)]
    product: ProductBody,
    prices: Vec<PriceBody>,
    default_price: Option<PriceBody>,
    features: Vec<serde_json::Value>,
}

/// Flowglad's price record. Single-payment prices carry null interval fields.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceBody {
    id: String,
    created_at: i64,
    updated_at: i64,
    livemode: bool,
    interval_unit: Option<String>,
    name: Option<String>,
    interval_count: Option<i32>,
    #[serde(rename = "type")]
    price_type: &'static str,
    trial_period_days: Option<i32>,
    is_default: bool,
    unit_price: i64,
    usage_events_per_unit: Option<i64>,
    product_id: String,
    active: bool,
    /// Upper case, as Flowglad's `CurrencyCode`.
    currency: String,
    slug: Option<String>,
    usage_meter_id: Option<String>,
    pricing_model_id: String,
}

impl From<&PriceRecord> for PriceBody {
    fn from(p: &PriceRecord) -> Self {
        PriceBody {
            id: p.id.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            livemode: p.livemode,
            interval_unit: p.interval_unit.clone(),
            name: p.name.clone(),
            interval_count: p.interval_count,
            price_type: p.price_type().as_str(),
            trial_period_days: if p.interval_unit.is_some() {
                Some(p.trial_period_days.unwrap_or(0))
            } else {
                None
            },
            is_default: p.is_default,
            unit_price: p.unit_amount,
            usage_events_per_unit: None,
            product_id: p.product_id.clone(),
            active: p.active,
            currency: p.currency.to_ascii_uppercase(),
            slug: p.slug.clone(),
            usage_meter_id: None,
            pricing_model_id: p.pricing_model_id.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceInput {
    #[serde(rename = "type")]
    price_type: Option<String>,
    unit_price: Option<i64>,
    interval_unit: Option<String>,
    interval_count: Option<i64>,
    trial_period_days: Option<i64>,
    name: Option<String>,
    slug: Option<String>,
    is_default: Option<bool>,
    active: Option<bool>,
    product_id: Option<String>,
    /// kassa's extension: ISO 4217; the organization's currency when left out (as Flowglad).
    currency: Option<String>,
}

impl PriceInput {
    fn split(self) -> (PriceDraft, PriceOptions, Option<String>) {
        (
            PriceDraft {
                price_type: self.price_type,
                unit_amount: self.unit_price,
                currency: self.currency,
                interval_unit: self.interval_unit,
                interval_count: self.interval_count,
                trial_period_days: self.trial_period_days,
                name: self.name,
                slug: self.slug,
            },
            PriceOptions {
                is_default: self.is_default.unwrap_or(false),
                active: self.active,
            },
            self.product_id,
        )
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductInput {
    name: Option<String>,
    description: Option<String>,
    #[serde(rename = "imageURL")]
    image_url: Option<String>,
    active: Option<bool>,
    singular_quantity_label: Option<String>,
    plural_quantity_label: Option<String>,
    pricing_model_id: Option<String>,
    default: Option<bool>,
    slug: Option<String>,
}

#[derive(Deserialize)]
pub struct CreateProductBody {
    product: Option<ProductInput>,
    price: Option<PriceInput>,
}

#[derive(Serialize)]
pub struct ProductEnvelope {
    product: ProductBody,
}

#[derive(Serialize)]
pub struct PriceEnvelope {
    price: PriceBody,
}

fn fail(names: Names) -> impl Fn(ServiceError) -> FlowgladError {
    move |e| FlowgladError::from_service(e, names)
}

/// `pricingModelId`, where given, must be the caller's default pricing model: the only one kassa keeps.
async fn check_pricing_model(
    state: &AppState,
    principal: &Principal,
    given: Option<&str>,
) -> Result<(), FlowgladError> {
    let Some(given) = given else { return Ok(()) };
    let model = catalog::default_pricing_model(&state.store, principal)
        .await
        .map_err(fail(Names::Product))?;
    if model.id == given {
        Ok(())
    } else {
        Err(FlowgladError::bad_request(format!(
            "product.pricingModelId: no such pricing model: `{given}`"
        )))
    }
}

pub async fn create_product(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Body(body): Body<CreateProductBody>,
) -> Result<Json<ProductEnvelope>, FlowgladError> {
    let product = body
        .product
        .ok_or_else(|| FlowgladError::bad_request("product: required"))?;
    let price = body
        .price
        .ok_or_else(|| FlowgladError::bad_request("price: required"))?;
    check_pricing_model(&state, &principal, product.pricing_model_id.as_deref()).await?;
    let draft = ProductDraft {
        name: product.name,
        description: product.description,
        image_url: product.image_url,
        slug: product.slug,
    };
    let options = ProductOptions {
        active: product.active,
        is_default: product.default.unwrap_or(false),
        singular_quantity_label: product.singular_quantity_label,
        plural_quantity_label: product.plural_quantity_label,
    };
    let (price_draft, price_options, _) = price.split();
    let (product, _) = catalog::create_product(
        &state.store,
        &principal,
        draft,
        options,
        Some((price_draft, price_options)),
    )
    .await
    .map_err(fail(Names::Product))?;
    Ok(Json(ProductEnvelope {
        product: ProductBody::from(&product),
    }))
}

pub async fn retrieve_product(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
) -> Result<Json<ProductWithPricesBody>, FlowgladError> {
    let product = state
        .store
        .product(&principal.organization_id, principal.mode.is_live(), &id)
        .await
        .map_err(|e| FlowgladError::from_service(e.into(), Names::Product))?
        .ok_or_else(|| FlowgladError::not_found("product"))?;
    let prices = state
        .store
        .prices_of_product(&product.id)
        .await
        .map_err(|e| FlowgladError::from_service(e.into(), Names::Product))?;
    Ok(Json(ProductWithPricesBody::of(&product, &prices)))
}

impl ProductWithPricesBody {
    /// A product with its prices; the default price is the one marked so, else the first.
    pub fn of(product: &ProductRecord, prices: &[PriceRecord]) -> Self {
        let default_price = prices
            .iter()
            .find(|p| p.is_default)
            .or(prices.first())
            .map(PriceBody::from);
        ProductWithPricesBody {
            product: ProductBody::from(product),
            prices: prices.iter().map(PriceBody::from).collect(),
            default_price,
            features: Vec::new(),
        }
    }

    /// As JSON, for answers assembled from several records.
    pub fn json(product: &ProductRecord, prices: &[PriceRecord]) -> serde_json::Value {
        serde_json::to_value(Self::of(product, prices)).unwrap_or_default()
    }
}

#[derive(Deserialize)]
pub struct UpdateProductBody {
    product: Option<UpdateProductInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateProductInput {
    id: Option<String>,
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    #[serde(rename = "imageURL", default, deserialize_with = "present")]
    image_url: Option<Option<String>>,
    active: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    singular_quantity_label: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    plural_quantity_label: Option<Option<String>>,
    default: Option<bool>,
    slug: Option<String>,
}

/// Tells a field given as `null` (clear it) from one left out (keep it).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

pub async fn update_product(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
    Body(body): Body<UpdateProductBody>,
) -> Result<Json<ProductEnvelope>, FlowgladError> {
    let input = body
        .product
        .ok_or_else(|| FlowgladError::bad_request("product: required"))?;
    if input.id.as_deref().is_some_and(|given| given != id) {
        return Err(FlowgladError::bad_request(
            "product.id: does not match the id in the path",
        ));
    }
    let changes = ProductChanges {
        name: input.name,
        description: input.description,
        image_url: input.image_url,
        slug: input.slug,
        is_default: input.default,
        singular_quantity_label: input.singular_quantity_label,
        plural_quantity_label: input.plural_quantity_label,
        active: input.active,
    };
    let product = catalog::update_product(&state.store, &principal, &id, changes)
        .await
        .map_err(fail(Names::Product))?;
    Ok(Json(ProductEnvelope {
        product: ProductBody::from(&product),
    }))
}

pub async fn list_products(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    crate::api::ApiQuery(query): crate::api::ApiQuery<ListQuery>,
) -> Result<Json<ListBody<ProductBody>>, FlowgladError> {
    let page = query.page()?;
    let (org, live) = (principal.organization_id.as_str(), principal.mode.is_live());
    list_of(
        &query,
        state.store.products(org, live, &page),
        state.store.count_products(org, live),
        |p| ProductBody::from(p),
        |r| (r.created_at, r.id.as_str()),
    )
    .await
}

#[derive(Deserialize)]
pub struct CreatePriceBody {
    price: Option<PriceInput>,
}

pub async fn create_price(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Body(body): Body<CreatePriceBody>,
) -> Result<Json<PriceEnvelope>, FlowgladError> {
    let input = body
        .price
        .ok_or_else(|| FlowgladError::bad_request("price: required"))?;
    let (draft, options, product_id) = input.split();
    let price = catalog::create_price(
        &state.store,
        &principal,
        product_id.as_deref(),
        draft,
        options,
    )
    .await
    .map_err(fail(Names::Price))?;
    Ok(Json(PriceEnvelope {
        price: PriceBody::from(&price),
    }))
}

pub async fn retrieve_price(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
) -> Result<Json<PriceEnvelope>, FlowgladError> {
    let price = state
        .store
        .price(&principal.organization_id, principal.mode.is_live(), &id)
        .await
        .map_err(|e| FlowgladError::from_service(e.into(), Names::Price))?
        .ok_or_else(|| FlowgladError::not_found("price"))?;
    Ok(Json(PriceEnvelope {
        price: PriceBody::from(&price),
    }))
}

#[derive(Deserialize)]
pub struct UpdatePriceBody {
    price: Option<UpdatePriceInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePriceInput {
    id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    slug: Option<Option<String>>,
    is_default: Option<bool>,
    active: Option<bool>,
}

pub async fn update_price(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
    Body(body): Body<UpdatePriceBody>,
) -> Result<Json<PriceEnvelope>, FlowgladError> {
    let input = body
        .price
        .ok_or_else(|| FlowgladError::bad_request("price: required"))?;
    if input.id.as_deref().is_some_and(|given| given != id) {
        return Err(FlowgladError::bad_request(
            "price.id: does not match the id in the path",
        ));
    }
    let changes = PriceChanges {
        name: input.name,
        slug: input.slug,
        is_default: input.is_default,
        active: input.active,
    };
    let price = catalog::update_price(&state.store, &principal, &id, changes)
        .await
        .map_err(fail(Names::Price))?;
    Ok(Json(PriceEnvelope {
        price: PriceBody::from(&price),
    }))
}

pub async fn list_prices(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    crate::api::ApiQuery(query): crate::api::ApiQuery<ListQuery>,
) -> Result<Json<ListBody<PriceBody>>, FlowgladError> {
    let page = query.page()?;
    let (org, live) = (principal.organization_id.as_str(), principal.mode.is_live());
    list_of(
        &query,
        state.store.prices(org, live, &page),
        state.store.count_prices(org, live),
        |p| PriceBody::from(p),
        |r| (r.created_at, r.id.as_str()),
    )
    .await
}
