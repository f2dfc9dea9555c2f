//! After the checkout, from the dashboard: refunding a payment, ending a subscription (now or at
//! its period's end) or calling that off, the test clock, and what becomes of a subscription
//! whose every renewal retry failed. Each answers a redirect back to its page, with `saved` or
//! `error.form`, so that it works with and without JavaScript.

use leptos::prelude::*;

/// How far the dashboard's test-clock form moves the clock.
pub const CLOCK_STEPS: [(&str, &str); 4] = [
    ("day", "1 day"),
    ("week", "1 week"),
    ("month", "1 month"),
    ("year", "1 year"),
];

/// Refunds `amount` (in the payment's currency, as typed: `5`, `5.00`; all that is left when
/// empty) of the customer's payment `id`.
#[server(name = DashboardRefundPayment, prefix = "/api/dashboard", endpoint = "payments/refund")]
pub async fn dashboard_refund_payment(
    customer: String,
    id: String,
    amount: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::money::{Currency, parse_major};
    let signed = signed_in().await?;
    let app = state();
    let back = customer_page(&customer);
    let (org, live) = (
        signed.principal.organization_id.as_str(),
        signed.principal.mode.is_live(),
    );
    let payment = app
        .store
        .payment(org, live, &id)
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    let typed = amount.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let minor = match typed {
        None => None,
        Some(typed) => {
            let currency = Currency::parse(&payment.currency).map_err(internal)?;
            match parse_major(typed, currency) {
                Ok(minor) => Some(minor),
                Err(error) => {
                    answer_form(
                        &back,
                        Err(vec![("form".into(), format!("Amount: {error}"))]),
                        &[],
                    );
                    return Ok(());
                }
            }
        }
    };
    let outcome = match crate::service::payment::refunds::refund_payment(
        &app.store,
        &app.processors,
        &signed.principal,
        &id,
        minor,
        None,
        crate::store::now_ms(),
    )
    .await
    {
        Ok(done) => Ok(format!("{back}?refunded={}", done.refund.id)),
        Err(error) => Err(vec![("form".into(), refused(error)?)]),
    };
    answer_form(&back, outcome, &[]);
    Ok(())
}

/// Ends the customer's subscription `id`: `timing` `now`, or `period_end`.
#[server(name = DashboardCancelSubscription, prefix = "/api/dashboard", endpoint = "subscriptions/cancel")]
pub async fn dashboard_cancel_subscription(
    customer: String,
    id: String,
    timing: String,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::service::subscriptions::{CancelTiming, cancel_subscription};
    let signed = signed_in().await?;
    let back = customer_page(&customer);
    let timing = if timing == "now" {
        CancelTiming::Immediately
    } else {
        CancelTiming::AtPeriodEnd
    };
    let outcome = match cancel_subscription(
        &state().store,
        &signed.principal,
        &id,
        timing,
        crate::store::now_ms(),
    )
    .await
    {
        Ok(_) => Ok(format!("{back}?saved=1")),
        Err(error) => Err(vec![("form".into(), refused(error)?)]),
    };
    answer_form(&back, outcome, &[]);
    Ok(())
}

/// Calls off the scheduled ending of the customer's subscription `id`.
#[server(name = DashboardUncancelSubscription, prefix = "/api/dashboard", endpoint = "subscriptions/uncancel")]
pub async fn dashboard_uncancel_subscription(
    customer: String,
    id: String,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    let back = customer_page(&customer);
    let outcome = match crate::service::subscriptions::uncancel_subscription(
        &state().store,
        &signed.principal,
        &id,
        crate::store::now_ms(),
    )
    .await
    {
        Ok(_) => Ok(format!("{back}?saved=1")),
        Err(error) => Err(vec![("form".into(), refused(error)?)]),
    };
    answer_form(&back, outcome, &[]);
    Ok(())
}

/// Moves the test clock of the organization one step (`by`: one of [`CLOCK_STEPS`]) ahead, and
/// does the renewal work that makes due.
#[server(name = DashboardAdvanceTestClock, prefix = "/api/dashboard", endpoint = "test-clock/advance")]
pub async fn dashboard_advance_test_clock(by: String) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::service::renewals;
    let signed = signed_in().await?;
    let app = state();
    let back = "/dashboard/payments";
    let now = crate::store::now_ms();
    let clock = match renewals::test_clock(&app.store, &signed.principal, now).await {
        Ok(clock) => clock.now,
        Err(error) => {
            answer_form(back, Err(vec![("form".into(), refused(error)?)]), &[]);
            return Ok(());
        }
    };
    let Some(to) = step(clock, &by) else {
        answer_form(
            back,
            Err(vec![(
                "by".into(),
                "Choose how far to move the clock.".into(),
            )]),
            &[],
        );
        return Ok(());
    };
    let outcome =
        match renewals::advance_test_clock(&app.store, &app.processors, &signed.principal, to, now)
            .await
        {
            Ok(_) => Ok(format!("{back}?saved=clock")),
            Err(error) => Err(vec![("form".into(), refused(error)?)]),
        };
    answer_form(back, outcome, &[]);
    Ok(())
}

/// What becomes of the organization's subscriptions whose every renewal retry failed.
#[server(name = DashboardSetRenewalFailure, prefix = "/api/dashboard", endpoint = "payments/renewal-failure")]
pub async fn dashboard_set_renewal_failure(action: String) -> Result<(), ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    let outcome = match crate::service::renewals::set_renewal_failure_action(
        &state().store,
        &signed.principal.organization_id,
        &action,
    )
    .await
    {
        Ok(()) => Ok("/dashboard/payments?saved=1".to_owned()),
        Err(error) => Err(vec![("action".into(), refused(error)?)]),
    };
    answer_form("/dashboard/payments", outcome, &[]);
    Ok(())
}

#[cfg(feature = "ssr")]
fn customer_page(customer: &str) -> String {
    let safe = customer
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if safe {
        format!("/dashboard/customers/{customer}")
    } else {
        "/dashboard/customers".to_owned()
    }
}

/// What a refused request says to the member; a fault of kassa's own stays an error.
#[cfg(feature = "ssr")]
fn refused(error: crate::service::ServiceError) -> Result<String, ServerFnError> {
    use crate::service::ServiceError;
    match error {
        ServiceError::Invalid(errors) => Ok(errors
            .into_iter()
            .map(|e| e.message)
            .collect::<Vec<_>>()
            .join(" ")),
        ServiceError::Conflict(e) => Ok(e.message),
        ServiceError::NotFound(what) => Ok(format!("No such {what}.")),
        other => Err(super::ssr::internal(other)),
    }
}

/// `clock` moved one `by` ahead (months and years by the calendar).
#[cfg(feature = "ssr")]
fn step(clock: i64, by: &str) -> Option<i64> {
    use crate::domain::catalog::{Recurring, RecurringInterval};
    let interval = match by {
        "day" => RecurringInterval::Day,
        "week" => RecurringInterval::Week,
        "month" => RecurringInterval::Month,
        "year" => RecurringInterval::Year,
        _ => return None,
    };
    Some(crate::service::payment::period_end(
        clock,
        Recurring {
            interval,
            interval_count: 1,
        },
    ))
}
