//! The merchant's confirm of an open session (Zenskar's `POST /checkout/{id}/confirm`).

use super::attempt::{self, Attempt};
use super::finalize::finalize;
use super::{Deferred, PaymentPlan};
use crate::domain::field::{Field, FieldError};
use crate::domain::payment::AttemptStatus;
use crate::domain::session::{CheckoutSession, Confirmation, PaymentMethodType, SessionStatus};
use crate::service::checkout::not_editable;
use crate::service::{ServiceError, ServiceResult};
use crate::store::Store;

/// The merchant confirms an open session (Zenskar's `POST /checkout/{id}/confirm`):
/// `charge_immediately` leaves it for the buyer to pay on the hosted page now;
/// `charge_when_due` completes it without a charge, the customer's saved payment method to pay
/// the open invoice when due; `no_payment` completes it without any payment. Completing creates
/// what was bought exactly as a paid checkout does, once.
pub async fn confirm_by_merchant(
    store: &Store,
    session: &CheckoutSession,
    confirmation: Confirmation,
    payment_method_id: Option<&str>,
    now: i64,
) -> ServiceResult<CheckoutSession> {
    let refetch = || async {
        store
            .session_by_id(&session.id)
            .await?
            .ok_or(ServiceError::NotFound("checkout session"))
    };
    if !session.is_editable(now) {
        return Err(not_editable(session, now));
    }
    if confirmation == Confirmation::ChargeImmediately {
        if payment_method_id.is_some() {
            return Err(ServiceError::Invalid(vec![FieldError::invalid(
                Field::PaymentMethodId,
                "charge_immediately collects the payment on the hosted page; a saved payment method is used only with charge_when_due",
            )]));
        }
        if !store
            .confirm_open_session(&session.id, confirmation, now)
            .await?
        {
            return Err(not_editable(&refetch().await?, now));
        }
        return refetch().await;
    }

    let email = session
        .customer_email
        .clone()
        .or_else(|| session.guest.as_ref().map(|g| g.email.clone()));
    let Some(email) = email else {
        return Err(ServiceError::Invalid(vec![FieldError::missing(
            Field::Customer,
            "completing without the buyer needs a customer or a guest's details",
        )]));
    };
    let method = match confirmation {
        Confirmation::ChargeWhenDue => {
            let Some(customer_id) = &session.customer_id else {
                return Err(ServiceError::Invalid(vec![FieldError::invalid(
                    Field::Customer,
                    "charge_when_due needs an existing customer with a saved payment method",
                )]));
            };
            let saved = store
                .payment_methods_of_customer(
                    &session.organization_id,
                    session.livemode,
                    customer_id,
                    100,
                )
                .await?;
            let chosen = match payment_method_id {
                Some(id) => saved.into_iter().find(|m| m.id == id).ok_or_else(|| {
                    ServiceError::Invalid(vec![FieldError::new(
                        Field::PaymentMethodId,
                        "resource_missing",
                        format!("the customer has no saved payment method `{id}`"),
                    )])
                })?,
                None => {
                    let default = saved.iter().position(|m| m.is_default).unwrap_or(0);
                    saved.into_iter().nth(default).ok_or_else(|| {
                        ServiceError::Invalid(vec![FieldError::new(
                            Field::PaymentMethodId,
                            "payment_method_missing",
                            "charge_when_due needs a saved payment method, and the customer has none",
                        )])
                    })?
                }
            };
            Some(chosen)
        }
        _ => {
            if payment_method_id.is_some() {
                return Err(ServiceError::Invalid(vec![FieldError::invalid(
                    Field::PaymentMethodId,
                    "no_payment takes no payment method",
                )]));
            }
            None
        }
    };

    let address = session.billing_address.clone();
    let plan = PaymentPlan {
        email,
        name: session.customer_name.clone(),
        country: address
            .as_ref()
            .map(|a| a.country.clone())
            .unwrap_or_default(),
        postal_code: address.as_ref().and_then(|a| a.postal_code.clone()),
        billing: address.filter(|a| a.line1.is_some()),
        phone: None,
        shipping: None,
        quantities: session.line_items.iter().map(|l| l.quantity).collect(),
        discount: session.discount.clone(),
        tax: None,
        amounts: session.amounts,
        currency: session.currency,
        method_type: method
            .as_ref()
            .and_then(|m| m.method_type.parse::<PaymentMethodType>().ok()),
        save_method: false,
        redisplay: false,
        saved_method_id: None,
        trial_period_days: session.trial_period_days,
        deferred: Some(Deferred {
            confirmation,
            payment_method_id: method.map(|m| m.id),
        }),
        // Confirmed by the merchant, not paid on the page: the customer's own language, if known.
        lang: None,
        answers: None,
        tax_ids: Vec::new(),
    };
    let created = AttemptStatus::Created;
    let latest = store.latest_attempt(&session.id).await?;
    let Some(attempt_id) =
        attempt::start(store, session, latest, &plan, 0, "none", created, now).await?
    else {
        return Err(not_editable(&refetch().await?, now));
    };
    let attempt = Attempt {
        id: &attempt_id,
        processor: "none",
        status: created,
        plan: &plan,
        method: None,
        reference: None,
    };
    if !finalize(store, session, &attempt, SessionStatus::Open, now).await? {
        store.release_session(&session.id, &attempt_id).await?;
        return Err(not_editable(&refetch().await?, now));
    }
    if let Some(trace_id) = &session.trace_id {
        tracing::info!(session = %session.id, trace_id = %trace_id, confirmation = confirmation.as_str(), "checkout session confirmed");
    }
    refetch().await
}
