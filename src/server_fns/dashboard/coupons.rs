//! Coupons and the promotion codes buyers type to redeem them.

// A form's inputs are the server function's arguments, one each, as a plain form posts them.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionCodeView {
    pub id: String,
    pub code: String,
    pub active: bool,
    pub times_redeemed: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponView {
    pub id: String,
    pub name: Option<String>,
    /// "20% off" or "$5.00 off".
    pub value: String,
    /// "once", "for 3 months", "forever".
    pub duration: String,
    pub redeemed: String,
    pub codes: Vec<PromotionCodeView>,
}

/// The organization's coupons in the signed-in mode (the latest 200), with their codes.
#[server(name = DashboardCoupons, prefix = "/api/dashboard", endpoint = "coupons")]
pub async fn dashboard_coupons() -> Result<Vec<CouponView>, ServerFnError> {
    use super::ssr::*;
    use crate::domain::catalog::{CouponDuration, CouponValue};
    let signed = signed_in().await?;
    let coupons = state()
        .store
        .coupons_with_codes(
            &signed.principal.organization_id,
            signed.principal.mode.is_live(),
            200,
        )
        .await
        .map_err(internal)?;
    Ok(coupons
        .into_iter()
        .map(|(coupon, codes)| CouponView {
            id: coupon.id,
            name: coupon.name,
            value: match coupon.value {
                CouponValue::PercentOff(rate) => format!("{}% off", rate.percent_string()),
                CouponValue::AmountOff(money) => format!("{} off", money.display()),
            },
            duration: match coupon.duration {
                CouponDuration::Once => "once".to_owned(),
                CouponDuration::Repeating { months: 1 } => "for 1 month".to_owned(),
                CouponDuration::Repeating { months } => format!("for {months} months"),
                CouponDuration::Forever => "forever".to_owned(),
            },
            redeemed: match coupon.max_redemptions {
                Some(max) => format!("{} of {max}", coupon.times_redeemed),
                None => coupon.times_redeemed.to_string(),
            },
            codes: codes
                .into_iter()
                .map(|c| PromotionCodeView {
                    id: c.id,
                    code: c.code,
                    active: c.active,
                    times_redeemed: c.times_redeemed,
                })
                .collect(),
        })
        .collect())
}

/// Creates a coupon and its promotion code from the form; errors come back by input.
#[server(name = DashboardCreateCoupon, prefix = "/api/dashboard", endpoint = "coupon/create")]
pub async fn dashboard_create_coupon(
    code: Option<String>,
    name: Option<String>,
    percent_off: Option<String>,
    amount_off: Option<String>,
    currency: Option<String>,
    duration: Option<String>,
    duration_in_months: Option<String>,
    max_redemptions: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::catalog::CouponDraft;
    use crate::service::ServiceError;

    let signed = signed_in().await?;
    let draft = CouponDraft {
        code: code.clone(),
        name: name.clone(),
        percent_off: percent_off.clone(),
        amount_off: amount_off.clone(),
        currency: currency.clone(),
        duration: duration.clone(),
        duration_in_months: duration_in_months.clone(),
        max_redemptions: max_redemptions.clone(),
    };
    let outcome =
        match crate::service::catalog::create_coupon(&state().store, &signed.principal, &draft)
            .await
        {
            Ok(_) => Ok("/dashboard/coupons".to_owned()),
            Err(ServiceError::Invalid(errors)) => Err(errors),
            Err(ServiceError::Conflict(error)) => Err(vec![error]),
            Err(other) => return Err(service_error(other)),
        };
    answer_form(
        "/dashboard/coupons",
        outcome.map_err(|errors| by_input(errors, |f| Some(f.to_string()))),
        &[
            ("code", &code),
            ("name", &name),
            ("percent_off", &percent_off),
            ("amount_off", &amount_off),
            ("currency", &currency),
            ("duration", &duration),
            ("duration_in_months", &duration_in_months),
            ("max_redemptions", &max_redemptions),
        ],
    );
    Ok(())
}

/// Turns a promotion code off (buyers can no longer redeem it) or on again.
#[server(name = DashboardSetPromotionCode, prefix = "/api/dashboard", endpoint = "promotion-code/active")]
pub async fn dashboard_set_promotion_code(
    id: String,
    active: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    let active = active.as_deref() == Some("true");
    crate::service::catalog::set_promotion_code_active(
        &state().store,
        &signed.principal,
        &id,
        active,
    )
    .await
    .map_err(service_error)?;
    leptos_axum::redirect("/dashboard/coupons");
    Ok(())
}
