//! Products, prices and customers: created and changed through the API (and later the dashboard).

use super::api_keys::Principal;
use super::ids::new_id;
use super::{ServiceError, ServiceResult};
use crate::domain::catalog::{
    Coupon, PriceDraft, ProductDraft, PromotionCode, check_price, check_product, check_slug,
};
use crate::domain::customer::{CustomerDraft, check_customer, parse_email};
use crate::domain::field::{Field, FieldError};
use crate::domain::ids;
use crate::store::{
    CustomerChanges, CustomerRecord, NewCustomer, NewPrice, NewProduct, PriceChanges, PriceRecord,
    PricingModelRecord, ProductChanges, ProductRecord, Store, StoreError,
};

/// The caller's default pricing model in its mode, made on first use.
pub async fn default_pricing_model(
    store: &Store,
    principal: &Principal,
) -> ServiceResult<PricingModelRecord> {
    let candidate = new_id(ids::PRICING_MODEL);
    Ok(store
        .default_pricing_model(
            &principal.organization_id,
            principal.mode.is_live(),
            &candidate,
        )
        .await?)
}

/// Maps a unique-constraint failure to a 409 on `field`; passes other failures through.
fn conflict_on(field: Field, message: &str) -> impl FnOnce(StoreError) -> ServiceError + '_ {
    move |error| match error {
        StoreError::Conflict(_) => {
            ServiceError::Conflict(FieldError::new(field, "resource_exists", message))
        }
        other => ServiceError::Store(other),
    }
}

/// Settings of a product beside its description.
#[derive(Debug, Clone, Default)]
pub struct ProductOptions {
    pub active: Option<bool>,
    pub is_default: bool,
    pub singular_quantity_label: Option<String>,
    pub plural_quantity_label: Option<String>,
}

/// Settings of a price beside its terms.
#[derive(Debug, Clone, Copy, Default)]
pub struct PriceOptions {
    pub is_default: bool,
    pub active: Option<bool>,
}

/// Creates a product, and its first price when one is given, in one transaction.
pub async fn create_product(
    store: &Store,
    principal: &Principal,
    draft: ProductDraft,
    options: ProductOptions,
    price: Option<(PriceDraft, PriceOptions)>,
) -> ServiceResult<(ProductRecord, Option<PriceRecord>)> {
    let mut errors = Vec::new();
    let product = check_product(draft)
        .map_err(|mut e| errors.append(&mut e))
        .ok();
    let currency = organization_currency(store, principal).await?;
    let price = match price {
        Some((mut draft, options)) => {
            draft.currency.get_or_insert(currency);
            check_price(draft)
                .map_err(|mut e| errors.append(&mut e))
                .ok()
                .map(|p| (p, options))
        }
        None => None,
    };
    let Some(product) = product.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let model = default_pricing_model(store, principal).await?;
    let product_id = new_id(ids::PRODUCT);
    let new_product = NewProduct {
        id: &product_id,
        organization_id: &principal.organization_id,
        livemode: principal.mode.is_live(),
        pricing_model_id: &model.id,
        name: &product.name,
        description: product.description.as_deref(),
        image_url: product.image_url.as_deref(),
        slug: &product.slug,
        is_default: options.is_default,
        singular_quantity_label: options.singular_quantity_label.as_deref(),
        plural_quantity_label: options.plural_quantity_label.as_deref(),
        active: options.active.unwrap_or(true),
    };
    match price {
        None => {
            let record = store
                .insert_product(&new_product)
                .await
                .map_err(conflict_on(
                    Field::ProductSlug,
                    "a product with this slug exists",
                ))?;
            Ok((record, None))
        }
        Some((price, price_options)) => {
            let price_id = new_id(ids::PRICE);
            let currency = price.unit_amount.currency.code_lower();
            let new_price = NewPrice {
                id: &price_id,
                organization_id: &principal.organization_id,
                livemode: principal.mode.is_live(),
                pricing_model_id: &model.id,
                product_id: &product_id,
                name: price.name.as_deref(),
                slug: price.slug.as_deref(),
                price_type: price.price_type,
                unit_amount: price.unit_amount.amount,
                currency: &currency,
                recurring: price.recurring,
                trial_period_days: price.trial_period_days.map(|d| d as i32),
                is_default: true,
                active: price_options.active.unwrap_or(true),
            };
            let (product, price) = store
                .insert_product_with_price(&new_product, &new_price)
                .await
                .map_err(conflict_on(
                    Field::ProductSlug,
                    "a product or price with this slug exists",
                ))?;
            Ok((product, Some(price)))
        }
    }
}

async fn organization_currency(store: &Store, principal: &Principal) -> ServiceResult<String> {
    Ok(store
        .organization(&principal.organization_id)
        .await?
        .map(|o| o.default_currency)
        .unwrap_or_else(|| "usd".to_owned()))
}

/// Changes a product. A new name must not be empty; a new slug must be well formed.
pub async fn update_product(
    store: &Store,
    principal: &Principal,
    id: &str,
    changes: ProductChanges,
) -> ServiceResult<ProductRecord> {
    let mut errors = Vec::new();
    if changes
        .name
        .as_deref()
        .is_some_and(|n| n.trim().is_empty() || n.chars().count() > 255)
    {
        errors.push(FieldError::invalid(
            Field::ProductName,
            "the name must be 1 to 255 characters",
        ));
    }
    if let Some(slug) = &changes.slug
        && let Err(message) = check_slug(slug)
    {
        errors.push(FieldError::invalid(Field::ProductSlug, message));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    store
        .update_product(
            &principal.organization_id,
            principal.mode.is_live(),
            id,
            &changes,
        )
        .await
        .map_err(conflict_on(
            Field::ProductSlug,
            "a product with this slug exists",
        ))?
        .ok_or(ServiceError::NotFound("product"))
}

/// Creates a price of an existing product, in the organization's currency unless one is given.
pub async fn create_price(
    store: &Store,
    principal: &Principal,
    product_id: Option<&str>,
    mut draft: PriceDraft,
    options: PriceOptions,
) -> ServiceResult<PriceRecord> {
    let livemode = principal.mode.is_live();
    let product = match product_id.filter(|p| !p.is_empty()) {
        None => Err(FieldError::missing(
            Field::ProductId,
            "a price needs the product it belongs to",
        )),
        Some(id) => store
            .product(&principal.organization_id, livemode, id)
            .await?
            .ok_or_else(|| {
                FieldError::new(
                    Field::ProductId,
                    "resource_missing",
                    format!("no such product: `{id}`"),
                )
            }),
    };
    draft
        .currency
        .get_or_insert(organization_currency(store, principal).await?);
    let price = check_price(draft);
    let (product, price) = match (product, price) {
        (Ok(product), Ok(price)) => (product, price),
        (product, price) => {
            let mut errors: Vec<FieldError> = product.err().into_iter().collect();
            errors.extend(price.err().unwrap_or_default());
            return Err(ServiceError::Invalid(errors));
        }
    };
    let id = new_id(ids::PRICE);
    let currency = price.unit_amount.currency.code_lower();
    let new_price = NewPrice {
        id: &id,
        organization_id: &principal.organization_id,
        livemode,
        pricing_model_id: &product.pricing_model_id,
        product_id: &product.id,
        name: price.name.as_deref(),
        slug: price.slug.as_deref(),
        price_type: price.price_type,
        unit_amount: price.unit_amount.amount,
        currency: &currency,
        recurring: price.recurring,
        trial_period_days: price.trial_period_days.map(|d| d as i32),
        is_default: options.is_default,
        active: options.active.unwrap_or(true),
    };
    store.insert_price(&new_price).await.map_err(conflict_on(
        Field::PriceSlug,
        "a price with this slug exists",
    ))
}

/// Changes a price's name, slug, default flag or activity (archiving it). Terms never change.
pub async fn update_price(
    store: &Store,
    principal: &Principal,
    id: &str,
    changes: PriceChanges,
) -> ServiceResult<PriceRecord> {
    if let Some(Some(slug)) = &changes.slug
        && let Err(message) = check_slug(slug)
    {
        return Err(FieldError::invalid(Field::PriceSlug, message).into());
    }
    store
        .update_price(
            &principal.organization_id,
            principal.mode.is_live(),
            id,
            &changes,
        )
        .await
        .map_err(conflict_on(
            Field::PriceSlug,
            "a price with this slug exists",
        ))?
        .ok_or(ServiceError::NotFound("price"))
}

/// Extra, optional details of a customer.
#[derive(Debug, Clone, Default)]
pub struct CustomerExtras {
    pub logo_url: Option<String>,
    pub icon_url: Option<String>,
    pub domain: Option<String>,
    pub user_id: Option<String>,
    pub archived: bool,
}

/// Creates a customer with the merchant's external id, unique in the organization and mode.
pub async fn create_customer(
    store: &Store,
    principal: &Principal,
    draft: CustomerDraft,
    extras: CustomerExtras,
) -> ServiceResult<CustomerRecord> {
    let (email, name, external_id) = check_customer(&draft)?;
    let model = default_pricing_model(store, principal).await?;
    let id = new_id(ids::CUSTOMER);
    let now = crate::store::now_ms();
    let mut tx = store.begin().await?;
    let customer = tx
        .insert_customer(
            &NewCustomer {
                id: &id,
                organization_id: &principal.organization_id,
                livemode: principal.mode.is_live(),
                pricing_model_id: &model.id,
                external_id: Some(&external_id),
                email: Some(&email),
                name: Some(&name),
                billing_address: None,
                logo_url: extras.logo_url.as_deref(),
                icon_url: extras.icon_url.as_deref(),
                domain: extras.domain.as_deref(),
                user_id: extras.user_id.as_deref(),
                archived: extras.archived,
                phone: None,
                shipping: None,
                preferred_locale: None,
            },
            now,
        )
        .await
        .map_err(conflict_on(
            Field::ExternalId,
            "a customer with this external id exists",
        ))?;
    let mut outbox = super::events::Outbox::default();
    outbox.push(
        crate::domain::event::EventType::CustomerCreated,
        super::events::customer_object(&customer.id, &email, Some(&name), Some(&external_id)),
    );
    outbox
        .write(
            &mut tx,
            &principal.organization_id,
            principal.mode.is_live(),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(customer)
}

/// Changes a customer found by the merchant's external id.
pub async fn update_customer(
    store: &Store,
    principal: &Principal,
    external_id: &str,
    mut changes: CustomerChanges,
) -> ServiceResult<CustomerRecord> {
    if let Some(email) = &changes.email {
        changes.email = Some(
            parse_email(email)
                .map_err(|e| FieldError::invalid(Field::CustomerEmail, e.to_string()))?,
        );
    }
    if changes
        .name
        .as_deref()
        .is_some_and(|n| n.trim().is_empty() || n.chars().count() > 255)
    {
        return Err(FieldError::invalid(
            Field::CustomerName,
            "the name must be 1 to 255 characters",
        )
        .into());
    }
    store
        .update_customer_by_external_id(
            &principal.organization_id,
            principal.mode.is_live(),
            external_id,
            &changes,
        )
        .await?
        .ok_or(ServiceError::NotFound("customer"))
}

/// Creates a subscription awaiting activation (`incomplete`): the customer pays for it and starts
/// it through an activate-subscription checkout.
pub async fn create_subscription(
    store: &Store,
    principal: &Principal,
    customer: &str,
    price_id: &str,
    quantity: Option<i64>,
    name: Option<&str>,
) -> ServiceResult<crate::store::SubscriptionRecord> {
    let livemode = principal.mode.is_live();
    let org = principal.organization_id.as_str();
    let mut errors = Vec::new();
    let found = match store.customer(org, livemode, customer).await? {
        Some(c) => Some(c),
        None => {
            store
                .customer_by_external_id(org, livemode, customer)
                .await?
        }
    };
    if found.is_none() {
        errors.push(FieldError::new(
            Field::Customer,
            "resource_missing",
            format!("no such customer: `{customer}`"),
        ));
    }
    let price = store.price(org, livemode, price_id).await?;
    match &price {
        None => errors.push(FieldError::new(
            Field::LinePrice(0),
            "resource_missing",
            format!("no such price: `{price_id}`"),
        )),
        Some(p) if !p.active => errors.push(FieldError::new(
            Field::LinePrice(0),
            "price_inactive",
            "the price is archived",
        )),
        Some(p) if p.interval_unit.is_none() => errors.push(FieldError::invalid(
            Field::LinePrice(0),
            "a subscription needs a recurring price",
        )),
        _ => {}
    }
    let quantity = quantity.unwrap_or(1);
    if !(1..=i64::from(crate::domain::session::draft::MAX_QUANTITY)).contains(&quantity) {
        errors.push(FieldError::invalid(
            Field::LineQuantity(0),
            "quantity must be between 1 and 999999",
        ));
    }
    let (Some(customer), Some(price)) = (found, price) else {
        return Err(ServiceError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let id = new_id(ids::SUBSCRIPTION);
    Ok(store
        .insert_subscription(&crate::store::NewSubscription {
            id: &id,
            organization_id: org,
            livemode,
            customer_id: &customer.id,
            price_id: &price.id,
            quantity: quantity as i32,
            status: "incomplete",
            name,
            item_id: &new_id(ids::SUBSCRIPTION_ITEM),
            unit_amount: price.unit_amount,
            currency: &price.currency,
        })
        .await?)
}

/// Turns one of the organization's promotion codes off (buyers can no longer redeem it) or on.
pub async fn set_promotion_code_active(
    store: &Store,
    principal: &Principal,
    id: &str,
    active: bool,
) -> ServiceResult<()> {
    let live = principal.mode.is_live();
    if store
        .set_promotion_code_active(&principal.organization_id, live, id, active)
        .await?
    {
        Ok(())
    } else {
        Err(ServiceError::NotFound("promotion code"))
    }
}

/// Creates a coupon and the promotion code that redeems it, in one transaction. A code the
/// organization already has in this mode is a conflict on `code`.
pub async fn create_coupon(
    store: &Store,
    principal: &Principal,
    draft: &crate::domain::catalog::CouponDraft,
) -> ServiceResult<(Coupon, PromotionCode)> {
    let checked = crate::domain::catalog::check_coupon(draft)?;
    let live = principal.mode.is_live();
    let taken = || {
        ServiceError::Conflict(FieldError::new(
            Field::CouponCode,
            "code_taken",
            format!("The code {} already exists.", checked.code),
        ))
    };
    if store
        .promotion_code(&principal.organization_id, live, &checked.code)
        .await?
        .is_some()
    {
        return Err(taken());
    }
    let coupon = Coupon {
        id: new_id(ids::COUPON),
        name: checked.name.clone(),
        value: checked.value,
        duration: checked.duration,
        max_redemptions: checked.max_redemptions,
        times_redeemed: 0,
        redeem_by: None,
        active: true,
    };
    let code = PromotionCode {
        id: new_id(ids::PROMOTION_CODE),
        code: checked.code.clone(),
        coupon_id: coupon.id.clone(),
        active: true,
        max_redemptions: None,
        times_redeemed: 0,
        expires_at: None,
    };
    let now = crate::store::now_ms();
    let mut tx = store.begin().await?;
    tx.insert_coupon(&principal.organization_id, live, &coupon, now)
        .await?;
    match tx
        .insert_promotion_code(&principal.organization_id, live, &code, now)
        .await
    {
        // Two merchants' tabs racing for one code: the unique index decides.
        Err(StoreError::Conflict(_)) => return Err(taken()),
        other => other?,
    }
    tx.commit().await?;
    Ok((coupon, code))
}

/// Creates a business entity (a legal seller guest checkouts may bill from).
pub async fn create_business_entity(
    store: &Store,
    principal: &Principal,
    draft: crate::domain::catalog::BusinessEntityDraft,
) -> ServiceResult<crate::store::BusinessEntityRecord> {
    let checked = crate::domain::catalog::check_business_entity(draft)?;
    Ok(store
        .insert_business_entity(
            &new_id(ids::BUSINESS_ENTITY),
            &principal.organization_id,
            principal.mode.is_live(),
            &checked.name,
            checked.legal_name.as_deref(),
            checked.country.as_deref(),
        )
        .await?)
}

/// A plan as requested: its name, currency (optional: the prices' when left out) and items as
/// (price id, quantity).
#[derive(Debug, Clone, Default)]
pub struct PlanDraft {
    pub name: Option<String>,
    pub currency: Option<String>,
    pub items: Vec<(Option<String>, Option<i64>)>,
}

/// Creates a plan: a named bundle of active prices of one currency, which a Zenskar-style
/// plan-based checkout buys whole.
pub async fn create_plan(
    store: &Store,
    principal: &Principal,
    draft: PlanDraft,
) -> ServiceResult<crate::domain::catalog::Plan> {
    use crate::domain::catalog::{Plan, check_plan_shape};
    use crate::domain::money::Currency;
    let org = principal.organization_id.as_str();
    let live = principal.mode.is_live();
    let (name, items) = check_plan_shape(draft.name.as_deref(), &draft.items)?;
    let mut errors = Vec::new();
    let asked = match draft.currency.as_deref().filter(|c| !c.trim().is_empty()) {
        None => None,
        Some(code) => match Currency::parse(code) {
            Ok(currency) => Some(currency),
            Err(_) => {
                return Err(FieldError::invalid(
                    Field::PlanCurrency,
                    format!("currency `{code}` is not an ISO 4217 code"),
                )
                .into());
            }
        },
    };
    let mut currency = asked;
    for (i, item) in items.iter().enumerate() {
        let Some(price) = store.price(org, live, &item.price_id).await? else {
            errors.push(FieldError::new(
                Field::PlanItemPrice(i),
                "resource_missing",
                format!("no such price: `{}`", item.price_id),
            ));
            continue;
        };
        if !price.active {
            errors.push(FieldError::invalid(
                Field::PlanItemPrice(i),
                format!("price `{}` is archived", price.id),
            ));
        }
        let Ok(own) = Currency::parse(&price.currency) else {
            continue;
        };
        match currency {
            None => currency = Some(own),
            Some(c) if c != own => errors.push(FieldError::invalid(
                if asked.is_some() {
                    Field::PlanCurrency
                } else {
                    Field::PlanItemPrice(i)
                },
                format!(
                    "every price of a plan is in its currency ({}); `{}` is in {}",
                    c.code_lower(),
                    price.id,
                    own.code_lower()
                ),
            )),
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let plan = Plan {
        id: new_id(ids::PLAN),
        name,
        currency: currency.expect("a plan has at least one priced item"),
        items,
        active: true,
    };
    store.insert_plan(org, live, &plan).await?;
    Ok(plan)
}
