//! `kassa demo`: a ready organization to try kassa with, made once and found again afterwards.

use super::api_keys::MintedKey;
use super::ids::{new_id, random_alphanumeric};
use super::passwords::hash_password;
use crate::domain::Rate;
use crate::domain::catalog::{Coupon, CouponDuration, CouponValue, PromotionCode, Recurring};
use crate::domain::{Mode, PriceType, RecurringInterval, ids};
use crate::store::{DemoFixture, DemoSeed, NewPrice, NewProduct, PageRequest, Store, StoreError};
use serde::Serialize;

pub const DEMO_ORGANIZATION_NAME: &str = "Demo Coffee Roasters";
pub const DEMO_EMAIL: &str = "demo@example.com";
/// A promotion code the demo organization's checkouts take: 10% off, forever.
pub const DEMO_PROMOTION_CODE: &str = "WELCOME10";

/// What `kassa demo` prints: everything needed to use the demo organization.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DemoReport {
    pub base_url: String,
    pub organization_id: String,
    pub secret_key: String,
    pub dashboard: DashboardLogin,
    pub prices: Vec<DemoPrice>,
    pub promotion_codes: Vec<String>,
    /// Plans (bundles of prices) that plan-based checkouts buy.
    pub plans: Vec<DemoPlan>,
    /// The legal sellers guest checkouts bill from.
    pub business_entities: Vec<DemoEntity>,
    /// A fresh checkout to try, made by `kassa demo` (each run makes a new one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DashboardLogin {
    pub url: String,
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DemoPrice {
    pub id: String,
    pub slug: String,
    pub currency: String,
    pub unit_amount: i64,
    #[serde(rename = "type")]
    pub price_type: PriceType,
    pub product_id: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DemoPlan {
    pub id: String,
    pub name: String,
    pub currency: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DemoEntity {
    pub id: String,
    pub name: String,
    pub country: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not make the demo: {0}")]
    Setup(String),
}

/// Creates the demo organization unless it exists, then reports it. The second and later runs
/// report the same organization and key; the dashboard password is made afresh by every run
/// (only its hash is kept), so the one printed last is the one that signs in.
pub async fn ensure(store: &Store, base_url: &str) -> Result<DemoReport, DemoError> {
    let (fixture, password) = match store.demo_fixture().await? {
        Some(fixture) => (fixture, None),
        None => match create(store).await {
            Ok((fixture, password)) => (fixture, Some(password)),
            // Another `kassa demo` won the race: report what it made.
            Err(DemoError::Store(StoreError::Conflict(_))) => {
                let fixture = store.demo_fixture().await?.ok_or_else(|| {
                    StoreError::Conflict("demo fixture vanished after a conflict".into())
                })?;
                (fixture, None)
            }
            Err(other) => return Err(other),
        },
    };
    let password = match password {
        Some(password) => password,
        None => {
            let password: String = random_alphanumeric(16).collect();
            let hash = super::passwords::hash(password.clone())
                .await
                .map_err(|e| DemoError::Setup(e.to_string()))?;
            store.set_password_hash(&fixture.user_email, &hash).await?;
            password
        }
    };
    let page = PageRequest {
        limit: 100,
        after: None,
    };
    let mut prices: Vec<DemoPrice> = store
        .prices(&fixture.organization_id, false, &page)
        .await?
        .items
        .into_iter()
        .map(|p| DemoPrice {
            price_type: p.price_type(),
            id: p.id,
            slug: p.slug.unwrap_or_default(),
            currency: p.currency,
            unit_amount: p.unit_amount,
            product_id: p.product_id,
        })
        .collect();
    prices.sort_by(|a, b| a.slug.cmp(&b.slug));
    let (plans, business_entities) = ensure_plan_and_entity(store, &fixture, &prices).await?;
    let base_url = base_url.trim_end_matches('/').to_owned();
    Ok(DemoReport {
        dashboard: DashboardLogin {
            url: format!("{base_url}/dashboard"),
            email: fixture.user_email,
            password,
        },
        base_url,
        organization_id: fixture.organization_id,
        secret_key: fixture.secret_key,
        prices,
        promotion_codes: vec![DEMO_PROMOTION_CODE.to_owned()],
        plans,
        business_entities,
        checkout_url: None,
    })
}

/// The demo's plan (the coffee club with a bag of beans) and business entity, made on the first
/// run that finds none (databases made before they existed get them too).
async fn ensure_plan_and_entity(
    store: &Store,
    fixture: &DemoFixture,
    prices: &[DemoPrice],
) -> Result<(Vec<DemoPlan>, Vec<DemoEntity>), DemoError> {
    let principal = super::api_keys::Principal {
        organization_id: fixture.organization_id.clone(),
        mode: Mode::Test,
        api_key_id: "demo".to_owned(),
    };
    let setup = |e: super::ServiceError| DemoError::Setup(e.to_string());
    let org = fixture.organization_id.as_str();
    if store.plans(org, false).await?.is_empty() {
        let items = prices
            .iter()
            .map(|p| (Some(p.id.clone()), Some(1)))
            .collect();
        super::catalog::create_plan(
            store,
            &principal,
            super::catalog::PlanDraft {
                name: Some("Coffee Club with beans".to_owned()),
                currency: Some("usd".to_owned()),
                items,
            },
        )
        .await
        .map_err(setup)?;
    }
    let all = PageRequest::first(100);
    if store
        .business_entities(org, false, &all)
        .await?
        .items
        .is_empty()
    {
        super::catalog::create_business_entity(
            store,
            &principal,
            crate::domain::catalog::BusinessEntityDraft {
                name: Some(DEMO_ORGANIZATION_NAME.to_owned()),
                legal_name: Some("Demo Coffee Roasters Inc.".to_owned()),
                country: Some("US".to_owned()),
            },
        )
        .await
        .map_err(setup)?;
    }
    let plans = store
        .plans(org, false)
        .await?
        .into_iter()
        .map(|p| DemoPlan {
            id: p.id,
            name: p.name,
            currency: p.currency.code_lower(),
        })
        .collect();
    let mut entities: Vec<DemoEntity> = store
        .business_entities(org, false, &all)
        .await?
        .items
        .into_iter()
        .map(|e| DemoEntity {
            id: e.id,
            name: e.name,
            country: e.country,
        })
        .collect();
    entities.reverse();
    Ok((plans, entities))
}

async fn create(store: &Store) -> Result<(DemoFixture, String), DemoError> {
    let organization_id = new_id(ids::ORGANIZATION);
    let key = MintedKey::generate(Mode::Test);
    let password: String = random_alphanumeric(16).collect();
    let password_hash = hash_password(&password).map_err(|e| DemoError::Setup(e.to_string()))?;
    let fixture = DemoFixture {
        organization_id: organization_id.clone(),
        user_email: DEMO_EMAIL.to_owned(),
        secret_key: key.secret.expose().to_owned(),
    };
    let pricing_model_id = new_id(ids::PRICING_MODEL);
    let beans = new_id(ids::PRODUCT);
    let club = new_id(ids::PRODUCT);
    let products = [
        NewProduct {
            id: &beans,
            organization_id: &organization_id,
            livemode: false,
            pricing_model_id: &pricing_model_id,
            name: "Espresso beans, 1 kg",
            description: Some("Our house espresso roast, whole beans."),
            image_url: None,
            slug: "espresso-beans",
            is_default: false,
            singular_quantity_label: Some("bag"),
            plural_quantity_label: Some("bags"),
            active: true,
        },
        NewProduct {
            id: &club,
            organization_id: &organization_id,
            livemode: false,
            pricing_model_id: &pricing_model_id,
            name: "Coffee Club",
            description: Some("A fresh bag every month."),
            image_url: None,
            slug: "coffee-club",
            is_default: false,
            singular_quantity_label: None,
            plural_quantity_label: None,
            active: true,
        },
    ];
    let one_time = new_id(ids::PRICE);
    let monthly = new_id(ids::PRICE);
    let prices = [
        NewPrice {
            id: &one_time,
            organization_id: &organization_id,
            product_id: &beans,
            livemode: false,
            name: Some("Espresso beans"),
            pricing_model_id: &pricing_model_id,
            slug: Some("espresso-beans"),
            price_type: PriceType::SinglePayment,
            unit_amount: 2400,
            currency: "usd",
            recurring: None,
            trial_period_days: None,
            is_default: true,
            active: true,
        },
        NewPrice {
            id: &monthly,
            organization_id: &organization_id,
            product_id: &club,
            livemode: false,
            name: Some("Coffee Club, monthly"),
            pricing_model_id: &pricing_model_id,
            slug: Some("coffee-club-monthly"),
            price_type: PriceType::Subscription,
            unit_amount: 1500,
            currency: "usd",
            recurring: Some(Recurring {
                interval: RecurringInterval::Month,
                interval_count: 1,
            }),
            trial_period_days: None,
            is_default: true,
            active: true,
        },
    ];
    let user_id = new_id(ids::USER);
    let coupon = Coupon {
        id: new_id(ids::COUPON),
        name: Some("Welcome".into()),
        value: CouponValue::PercentOff(Rate::parse_percent("10").expect("10 is a percentage")),
        duration: CouponDuration::Forever,
        max_redemptions: None,
        times_redeemed: 0,
        redeem_by: None,
        active: true,
    };
    let code = PromotionCode {
        id: new_id(ids::PROMOTION_CODE),
        code: DEMO_PROMOTION_CODE.to_owned(),
        coupon_id: coupon.id.clone(),
        active: true,
        max_redemptions: None,
        times_redeemed: 0,
        expires_at: None,
    };
    store
        .insert_demo(&DemoSeed {
            fixture: &fixture,
            organization_name: DEMO_ORGANIZATION_NAME,
            api_key: key.as_new(&organization_id, Mode::Test, "Demo key"),
            pricing_model_id: &pricing_model_id,
            user_id: &user_id,
            user_password_hash: &password_hash,
            products: &products,
            prices: &prices,
            promotion: Some((&coupon, &code)),
        })
        .await?;
    Ok((fixture, password))
}

/// Makes a fresh checkout of the demo's one-time price (quantity adjustable, codes welcome) and
/// returns its address.
pub async fn checkout_link(store: &Store, report: &DemoReport) -> Result<String, DemoError> {
    use crate::domain::session::SessionKind;
    use crate::domain::session::draft::{AdjustableDraft, LineItemDraft, PriceRef, SessionDraft};
    let principal = super::api_keys::authenticate(store, &report.secret_key)
        .await
        .map_err(|e| DemoError::Setup(format!("the demo key does not authenticate: {e}")))?;
    let draft = SessionDraft {
        line_items: vec![LineItemDraft {
            price: PriceRef::Slug("espresso-beans".into()),
            quantity: Some(1),
            adjustable: Some(AdjustableDraft {
                enabled: true,
                minimum: Some(1),
                maximum: Some(10),
            }),
        }],
        allow_promotion_codes: true,
        payment_method_types: Some(vec!["card".into(), "link".into(), "us_bank_account".into()]),
        origin: crate::domain::session::Origin::Demo,
        ..SessionDraft::new(SessionKind::Purchase)
    };
    let session =
        super::checkout::create_session(store, &principal, draft, crate::store::now_ms(), None)
            .await
            .map_err(|e| DemoError::Setup(format!("the demo checkout could not be made: {e}")))?;
    Ok(format!("{}/checkout/{}", report.base_url, session.id))
}
