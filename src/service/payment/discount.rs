//! Coupons and promotion codes, resolved one way for every caller: a merchant creating a session
//! (who is told in the API's words), the buyer's confirm and the hosted page (told in a buyer's).

use crate::domain::catalog::{Coupon, PromotionCode};
use crate::domain::money::Currency;
use crate::domain::session::CheckoutSession;
use crate::store::{Store, StoreResult};

/// A discount that can be used now: the coupon, and the promotion code it came through.
#[derive(Debug, Clone)]
pub struct Discount {
    pub coupon: Coupon,
    pub promotion_code: Option<PromotionCode>,
}

impl Discount {
    /// The promotion code's id, if the discount came through one.
    pub fn promotion_code_id(&self) -> Option<String> {
        self.promotion_code.as_ref().map(|p| p.id.clone())
    }
}

/// Why a discount cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing of that name: `what` is "promotion code" or "coupon", `name` what was asked for.
    Unknown { what: &'static str, name: String },
    /// It exists but cannot be used now (inactive, expired, used up, another currency): why, in
    /// words a buyer understands.
    NotRedeemable(String),
}

impl Refusal {
    /// What a buyer reads: an unknown code is simply not valid.
    pub fn for_buyer(&self) -> String {
        match self {
            Refusal::Unknown { .. } => "This code is not valid.".into(),
            Refusal::NotRedeemable(why) => why.clone(),
        }
    }
}

/// The discount the promotion code `code` gives now, checked against `currency` when the order
/// has one.
pub async fn by_code(
    store: &Store,
    organization_id: &str,
    livemode: bool,
    code: &str,
    currency: Option<Currency>,
    now: i64,
) -> StoreResult<Result<Discount, Refusal>> {
    let Some(promotion) = store
        .promotion_code(organization_id, livemode, code)
        .await?
    else {
        return Ok(Err(Refusal::Unknown {
            what: "promotion code",
            name: code.to_owned(),
        }));
    };
    if let Err(e) = promotion.check_redeemable(now) {
        return Ok(Err(Refusal::NotRedeemable(e.to_string())));
    }
    Ok(by_coupon(
        store,
        organization_id,
        livemode,
        &promotion.coupon_id,
        currency,
        now,
    )
    .await?
    .map(|discount| Discount {
        promotion_code: Some(promotion),
        ..discount
    }))
}

/// The discount the coupon `coupon_id` gives now, checked against `currency` when the order
/// has one.
pub async fn by_coupon(
    store: &Store,
    organization_id: &str,
    livemode: bool,
    coupon_id: &str,
    currency: Option<Currency>,
    now: i64,
) -> StoreResult<Result<Discount, Refusal>> {
    let Some(coupon) = store.coupon(organization_id, livemode, coupon_id).await? else {
        return Ok(Err(Refusal::Unknown {
            what: "coupon",
            name: coupon_id.to_owned(),
        }));
    };
    if let Some(Err(e)) = currency.map(|c| coupon.check_redeemable(now, c)) {
        return Ok(Err(Refusal::NotRedeemable(e.to_string())));
    }
    Ok(Ok(Discount {
        coupon,
        promotion_code: None,
    }))
}

/// The discount a code the buyer typed gives on `session` now, or why it gives none, in the
/// buyer's words.
pub async fn for_buyer(
    store: &Store,
    session: &CheckoutSession,
    code: &str,
    now: i64,
) -> StoreResult<Result<Discount, String>> {
    if !session.allow_promotion_codes {
        return Ok(Err("This checkout does not take promotion codes.".into()));
    }
    let org = session.organization_id.as_str();
    Ok(
        by_code(store, org, session.livemode, code, session.currency, now)
            .await?
            .map_err(|refusal| refusal.for_buyer()),
    )
}
