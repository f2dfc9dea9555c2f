//! Paying a checkout session: the confirm, the buyer's authentication or approval step, and the
//! settling of asynchronous payments, all ending in one finalization that creates what the
//! session's kind asks for, exactly once.
//!
//! Exactly once: a confirm first claims the session (a compare-and-set on its lock, with a lease)
//! so that of any number of concurrent confirms one reaches the processor; finalization then moves
//! the session's status with a compare-and-set on (status, latest attempt) inside the transaction
//! that writes the purchase, invoice and payment, and `purchases.session_id` and
//! `payments.attempt_id` are unique besides.

use super::api_keys::Principal;
use super::events::Outbox;
use super::ids::new_id;
use super::{ServiceError, ServiceResult};
use crate::domain::Mode;
use crate::domain::catalog::{Coupon, Recurring, RecurringInterval, TaxRate};
use crate::domain::customer::BillingAddress;
use crate::domain::event::EventType;
use crate::domain::field::{Field, FieldError};
use crate::domain::money::{Currency, Money, Rate};
use crate::domain::payment::{
    BuyerDetails, PaymentDetails, PaymentForm, check_buyer, check_method,
};
use crate::domain::session::draft::check_quantity;
use crate::domain::session::totals::{self, DiscountTerms, PricedLine, TaxTerms, Totals};
use crate::domain::session::{
    AmountSummary, AppliedDiscount, CheckoutSession, Confirmation, PaymentMethodType, SessionKind,
    SessionMode, SessionStatus,
};
use crate::payments::{
    ActionKind, ChargeOutcome, ChargeRequest, MethodSummary, PaymentProcessor, ProcessorError,
    Settlement,
};
use crate::store::{
    AttemptOutcome, AttemptRecord, NewCustomer, NewInvoice, NewPayment, NewPaymentMethod,
    NewPurchase, SessionCompletion, StartedSubscription, Store,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How long a confirm holds a session before another may take it over.
pub const CLAIM_LEASE_MS: i64 = 60_000;
/// How long a settling worker holds a due attempt.
pub const SETTLE_LEASE_MS: i64 = 30_000;

/// What an attempt pays for, kept with it so that a later step (authentication, settlement) can
/// finish exactly what the buyer agreed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentPlan {
    pub email: String,
    pub name: Option<String>,
    pub country: String,
    pub postal_code: Option<String>,
    pub quantities: Vec<u32>,
    pub discount: Option<AppliedDiscount>,
    pub tax: Option<AppliedTax>,
    pub amounts: AmountSummary,
    pub currency: Option<Currency>,
    pub method_type: Option<PaymentMethodType>,
    pub save_method: bool,
    pub trial_period_days: Option<u32>,
    /// Completed by the merchant without a charge now (Zenskar's charge_when_due, no_payment).
    #[serde(default)]
    pub deferred: Option<Deferred>,
}

/// A completion without a charge: how the merchant confirmed it, and the customer's saved method
/// that pays the invoice when it is due (charge_when_due).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deferred {
    pub confirmation: Confirmation,
    pub payment_method_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedTax {
    pub rate_id: String,
    pub rate: Rate,
    pub inclusive: bool,
    pub country: String,
}

/// A confirm, as the checkout form posts it.
#[derive(Debug, Clone, Default)]
pub struct ConfirmRequest {
    pub session_id: String,
    pub form: PaymentForm,
    pub promotion_code: Option<String>,
    /// Requested quantities by line position.
    pub quantities: Vec<(usize, i64)>,
}

/// What the buyer meets next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// Paid (or nothing to pay): on to `next_url`, the merchant's success URL or kassa's receipt.
    Succeeded { next_url: String },
    /// Accepted, settling later: the session's page shows it processing.
    Processing { next_url: String },
    /// The buyer must authenticate or approve on `next_url`.
    RequiresAction { next_url: String },
    /// Declined; the session stays open for another try.
    Declined { code: String, message: String },
    /// Fields to correct.
    Invalid(Vec<FieldError>),
    /// The session can no longer be paid (expired, paid, failed, processing).
    Closed(SessionStatus),
    /// Another confirm of this session is in progress.
    Busy,
    /// The session cannot be paid here at all (live mode without a live processor, an item gone).
    Unavailable(String),
}

/// A session priced for payment: the catalog re-read, the buyer's quantities, code and country.
#[derive(Debug, Clone)]
pub struct Priced {
    pub quantities: Vec<u32>,
    pub discount: Option<(Coupon, Option<String>)>,
    pub tax: Option<AppliedTax>,
    pub totals: Option<Totals>,
}

enum PriceProblem {
    Invalid(Vec<FieldError>),
    Unavailable(String),
}

impl From<crate::store::StoreError> for PriceProblem {
    fn from(e: crate::store::StoreError) -> Self {
        tracing::error!(error = %e, "pricing a session");
        PriceProblem::Unavailable(
            "This checkout cannot be priced right now. Try again in a moment.".into(),
        )
    }
}

/// Prices `session` as the buyer would pay it now. The server never trusts the page's figures:
/// prices come from the catalog, quantities are checked against their bounds, the code and the
/// tax rate are looked up.
async fn price_session(
    store: &Store,
    session: &CheckoutSession,
    requested: &[(usize, i64)],
    promotion_code: Option<&str>,
    country: Option<&str>,
    now: i64,
) -> Result<Priced, PriceProblem> {
    let mut errors = Vec::new();
    let mut quantities: Vec<u32> = session.line_items.iter().map(|l| l.quantity).collect();
    for &(index, quantity) in requested {
        let Some(line) = session.line_items.get(index) else {
            errors.push(FieldError::invalid(
                Field::Quantity(index),
                "There is no such item in this order.",
            ));
            continue;
        };
        if line.adjustable.is_none() {
            if quantity != i64::from(line.quantity) {
                errors.push(FieldError::invalid(
                    Field::Quantity(index),
                    "The quantity of this item cannot be changed.",
                ));
            }
            continue;
        }
        match check_quantity(quantity, line.adjustable) {
            Ok(q) => quantities[index] = q,
            Err(message) => errors.push(FieldError::invalid(
                Field::Quantity(index),
                capitalize(&message),
            )),
        }
    }

    let org = session.organization_id.as_str();
    let mut lines = Vec::with_capacity(session.line_items.len());
    for (line, quantity) in session.line_items.iter().zip(&quantities) {
        let price = store.price(org, session.livemode, &line.price_id).await?;
        let Some(price) = price.filter(|p| p.active) else {
            return Err(PriceProblem::Unavailable(format!(
                "{} is no longer available.",
                line.description
            )));
        };
        let price = price.to_domain()?;
        lines.push(PricedLine {
            unit_amount: price.unit_amount,
            quantity: *quantity,
            recurring: price.recurring,
        });
    }

    let currency = session.currency;
    let discount = match promotion_code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) if !session.allow_promotion_codes => {
            errors.push(FieldError::invalid(
                Field::PromotionCode,
                "This checkout does not take promotion codes.",
            ));
            let _ = code;
            None
        }
        Some(code) => match store.promotion_code(org, session.livemode, code).await? {
            None => {
                errors.push(FieldError::invalid(
                    Field::PromotionCode,
                    "This code is not valid.",
                ));
                None
            }
            Some(promotion) => match promotion.check_redeemable(now) {
                Err(e) => {
                    errors.push(FieldError::invalid(Field::PromotionCode, e.to_string()));
                    None
                }
                Ok(()) => match store
                    .coupon(org, session.livemode, &promotion.coupon_id)
                    .await?
                {
                    Some(coupon)
                        if currency.is_none_or(|c| coupon.check_redeemable(now, c).is_ok()) =>
                    {
                        Some((coupon, Some(promotion.id)))
                    }
                    Some(coupon) => {
                        let e = currency
                            .map(|c| coupon.check_redeemable(now, c))
                            .and_then(Result::err);
                        errors.push(FieldError::invalid(
                            Field::PromotionCode,
                            e.map_or("This code is not valid.".to_owned(), |e| e.to_string()),
                        ));
                        None
                    }
                    None => {
                        errors.push(FieldError::invalid(
                            Field::PromotionCode,
                            "This code is not valid.",
                        ));
                        None
                    }
                },
            },
        },
        None => match &session.discount {
            None => None,
            Some(applied) => match store
                .coupon(org, session.livemode, &applied.coupon_id)
                .await?
            {
                Some(coupon)
                    if currency.is_none_or(|c| coupon.check_redeemable(now, c).is_ok()) =>
                {
                    Some((coupon, applied.promotion_code_id.clone()))
                }
                _ => {
                    errors.push(FieldError::invalid(
                        Field::PromotionCode,
                        "The discount on this order is no longer valid.",
                    ));
                    None
                }
            },
        },
    };

    let tax = match country {
        Some(country) => {
            let rates = store.tax_rates(org, session.livemode).await?;
            TaxRate::applicable(&rates, Some(country)).map(|r| AppliedTax {
                rate_id: r.id.clone(),
                rate: r.rate,
                inclusive: r.inclusive,
                country: country.to_owned(),
            })
        }
        None => None,
    };

    if !errors.is_empty() {
        return Err(PriceProblem::Invalid(errors));
    }
    let totals = match currency {
        Some(currency) => Some(
            totals::compute(
                currency,
                &lines,
                discount.as_ref().map(|(c, _)| DiscountTerms {
                    value: c.value,
                    duration: c.duration,
                }),
                tax.as_ref().map(|t| TaxTerms {
                    rate: t.rate,
                    inclusive: t.inclusive,
                }),
                session.trial_period_days,
            )
            .map_err(|_| {
                PriceProblem::Unavailable("This order's total is too large to pay here.".into())
            })?,
        ),
        None => None,
    };
    Ok(Priced {
        quantities,
        discount,
        tax,
        totals,
    })
}

fn capitalize(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!(
            "{}{}.",
            first.to_uppercase(),
            chars.as_str().trim_end_matches('.')
        ),
        None => String::new(),
    }
}

/// `(year, month)` of `now_ms` in UTC, for card expiry checks.
pub fn year_month(now_ms: i64) -> (u16, u8) {
    use chrono::Datelike;
    let date = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
    (date.year().clamp(0, 9999) as u16, date.month() as u8)
}

/// Where the buyer goes after paying: the merchant's success URL with the session id filled in,
/// or kassa's own receipt.
pub fn success_url(session: &CheckoutSession, public_base: &str) -> String {
    match &session.success_url {
        Some(url) => url.replace("{CHECKOUT_SESSION_ID}", &session.id),
        None => format!("{public_base}/checkout/{}", session.id),
    }
}

fn session_page(session_id: &str, public_base: &str) -> String {
    format!("{public_base}/checkout/{session_id}")
}

/// The confirm: checks the form, prices the session, claims it, charges, and records the outcome.
pub async fn confirm(
    store: &Store,
    processor: &dyn PaymentProcessor,
    public_base: &str,
    request: ConfirmRequest,
    now: i64,
) -> ServiceResult<ConfirmOutcome> {
    let Some(session) = store.session_by_id(&request.session_id).await? else {
        return Err(ServiceError::NotFound("checkout session"));
    };
    let status = session.effective_status(now);
    if status != SessionStatus::Open {
        return Ok(ConfirmOutcome::Closed(status));
    }
    if session.livemode && !processor.supports_livemode() {
        return Ok(ConfirmOutcome::Unavailable(
            "This shop cannot take live payments yet: no live payment processor is configured."
                .into(),
        ));
    }

    let mut errors = Vec::new();
    let known_email = session
        .customer_id
        .as_ref()
        .and(session.customer_email.as_deref());
    let buyer = check_buyer(&request.form, known_email)
        .map_err(|mut e| errors.append(&mut e))
        .ok();
    let priced = match price_session(
        store,
        &session,
        &request.quantities,
        request.promotion_code.as_deref(),
        buyer.as_ref().map(|b| b.country.as_str()),
        now,
    )
    .await
    {
        Ok(priced) => Some(priced),
        Err(PriceProblem::Invalid(mut e)) => {
            errors.append(&mut e);
            None
        }
        Err(PriceProblem::Unavailable(message)) => return Ok(ConfirmOutcome::Unavailable(message)),
    };
    let due_today = priced
        .as_ref()
        .and_then(|p| p.totals.as_ref())
        .map_or(0, |t| t.due_today);
    // Nothing to pay now and nothing to keep for later: no payment method is asked for.
    let needs_method = due_today > 0
        || session.mode != SessionMode::Payment
        || session.kind != SessionKind::Purchase;
    let details = if needs_method {
        check_method(
            &request.form,
            &session.payment_method_types,
            year_month(now),
        )
        .map_err(|mut e| errors.append(&mut e))
        .ok()
    } else {
        None
    };
    let (Some(buyer), Some(priced)) = (buyer, priced) else {
        return Ok(ConfirmOutcome::Invalid(errors));
    };
    if !errors.is_empty() {
        return Ok(ConfirmOutcome::Invalid(errors));
    }

    let plan = plan_of(&session, &buyer, &priced, details.as_ref());
    let Some(attempt_id) =
        start_attempt(store, &session, &plan, due_today, processor.name(), now).await?
    else {
        return Ok(
            match store
                .session_by_id(&session.id)
                .await?
                .map(|s| s.effective_status(now))
            {
                Some(status) if status != SessionStatus::Open => ConfirmOutcome::Closed(status),
                _ => ConfirmOutcome::Busy,
            },
        );
    };

    let Some(details) = details else {
        // A zero total completes without charging.
        let attempt = Attempt {
            id: &attempt_id,
            plan: &plan,
            method: None,
            reference: None,
        };
        return finish(
            store,
            &session,
            &attempt,
            SessionStatus::Open,
            public_base,
            now,
        )
        .await;
    };
    let charge = processor
        .charge(ChargeRequest {
            idempotency_key: &attempt_id,
            amount: Money::new(due_today, session.currency.unwrap_or(usd())),
            details: &details,
            save_for_later: plan.save_method,
            livemode: session.livemode,
        })
        .await;
    match charge {
        Ok(ChargeOutcome::Succeeded { reference, method }) => {
            let attempt = Attempt {
                id: &attempt_id,
                plan: &plan,
                method: Some(&method),
                reference: Some(&reference),
            };
            finish(
                store,
                &session,
                &attempt,
                SessionStatus::Open,
                public_base,
                now,
            )
            .await
        }
        Ok(ChargeOutcome::Declined { code, message }) => {
            record_decline(store, &session, &attempt_id, &code, &message, now).await?;
            Ok(ConfirmOutcome::Declined { code, message })
        }
        Ok(ChargeOutcome::RequiresAction {
            reference,
            action,
            method,
        }) => {
            let summary = serde_json::to_string(&method).map_err(crate::store::StoreError::from)?;
            let mut tx = store.begin().await?;
            tx.update_attempt(
                &attempt_id,
                &AttemptOutcome {
                    status: "requires_action",
                    method_summary: Some(&summary),
                    processor_reference: Some(&reference),
                    action: Some(match action {
                        ActionKind::ThreeDSecure => "three_d_secure",
                        ActionKind::Approval => "approval",
                    }),
                    ..Default::default()
                },
                now,
            )
            .await?;
            tx.release_session(&session.id, &attempt_id).await?;
            tx.commit().await?;
            Ok(ConfirmOutcome::RequiresAction {
                next_url: format!("{}/authenticate", session_page(&session.id, public_base)),
            })
        }
        Ok(ChargeOutcome::Processing {
            reference,
            method,
            settle_after_ms,
        }) => {
            let summary = serde_json::to_string(&method).map_err(crate::store::StoreError::from)?;
            let mut tx = store.begin().await?;
            tx.update_attempt(
                &attempt_id,
                &AttemptOutcome {
                    status: "processing",
                    method_summary: Some(&summary),
                    processor_reference: Some(&reference),
                    settle_after: Some(now + settle_after_ms),
                    ..Default::default()
                },
                now,
            )
            .await?;
            let moved = tx
                .move_session(
                    &session.id,
                    &attempt_id,
                    SessionStatus::Open,
                    SessionStatus::Pending,
                    now,
                )
                .await?;
            if !moved {
                drop(tx);
                tracing::warn!(session = %session.id, "a processing payment lost its session; not recorded");
                return Ok(ConfirmOutcome::Busy);
            }
            tx.commit().await?;
            Ok(ConfirmOutcome::Processing {
                next_url: session_page(&session.id, public_base),
            })
        }
        Err(ProcessorError::LiveModeUnavailable) => {
            let message =
                "This shop cannot take live payments yet: no live payment processor is configured.";
            record_decline(
                store,
                &session,
                &attempt_id,
                "livemode_unavailable",
                message,
                now,
            )
            .await?;
            Ok(ConfirmOutcome::Unavailable(message.into()))
        }
        Err(error) => {
            tracing::error!(%error, session = %session.id, "the payment processor failed");
            let message =
                "The payment could not be processed. Nothing was charged; try again in a moment.";
            record_decline(
                store,
                &session,
                &attempt_id,
                "processor_error",
                message,
                now,
            )
            .await?;
            Ok(ConfirmOutcome::Declined {
                code: "processor_error".into(),
                message: message.into(),
            })
        }
    }
}

fn usd() -> Currency {
    Currency::parse("usd").expect("USD is ISO 4217")
}

/// What the attempt will pay for.
fn plan_of(
    session: &CheckoutSession,
    buyer: &BuyerDetails,
    priced: &Priced,
    details: Option<&PaymentDetails>,
) -> PaymentPlan {
    let amounts = priced
        .totals
        .as_ref()
        .map_or(AmountSummary::default(), |t| AmountSummary {
            subtotal: t.subtotal,
            discount: t.discount,
            tax: t.tax,
            total: t.total,
            due_today: t.due_today,
        });
    PaymentPlan {
        email: buyer.email.clone(),
        name: buyer.name.clone(),
        country: buyer.country.clone(),
        postal_code: buyer.postal_code.clone(),
        quantities: priced.quantities.clone(),
        discount: priced
            .discount
            .as_ref()
            .map(|(coupon, code)| AppliedDiscount {
                coupon_id: coupon.id.clone(),
                promotion_code_id: code.clone(),
                duration: coupon.duration,
            }),
        tax: priced.tax.clone(),
        amounts,
        currency: session.currency,
        method_type: details.map(PaymentDetails::method_type),
        // Subscriptions charge again, activations and saved methods are for later: keep the method.
        save_method: details.is_some()
            && (session.mode != SessionMode::Payment || session.kind != SessionKind::Purchase),
        trial_period_days: session.trial_period_days,
        deferred: None,
    }
}

async fn record_decline(
    store: &Store,
    session: &CheckoutSession,
    attempt_id: &str,
    code: &str,
    message: &str,
    now: i64,
) -> ServiceResult<()> {
    let session_id = session.id.as_str();
    let mut tx = store.begin().await?;
    let mut outbox = Outbox::default();
    outbox.push(
        EventType::PaymentFailed,
        failed_payment(session, attempt_id, code, message),
    );
    outbox
        .write(&mut tx, &session.organization_id, session.livemode, now)
        .await?;
    tx.update_attempt(
        attempt_id,
        &AttemptOutcome {
            status: "declined",
            decline_code: Some(code),
            decline_message: Some(message),
            ..Default::default()
        },
        now,
    )
    .await?;
    tx.release_session(session_id, attempt_id).await?;
    tx.commit().await?;
    Ok(())
}

/// What `payment.failed` carries: the attempt that failed, and why.
fn failed_payment(
    session: &CheckoutSession,
    attempt_id: &str,
    code: &str,
    message: &str,
) -> serde_json::Value {
    json!({
        "id": attempt_id, "object": "payment_attempt", "status": "failed",
        "checkout_session": session.id, "customer": session.customer_id,
        "failure_code": code, "failure_message": message,
    })
}

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
        return Err(super::checkout::not_editable(session, now));
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
            return Err(super::checkout::not_editable(&refetch().await?, now));
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
        postal_code: address.and_then(|a| a.postal_code),
        quantities: session.line_items.iter().map(|l| l.quantity).collect(),
        discount: session.discount.clone(),
        tax: None,
        amounts: session.amounts,
        currency: session.currency,
        method_type: method
            .as_ref()
            .and_then(|m| m.method_type.parse::<PaymentMethodType>().ok()),
        save_method: false,
        trial_period_days: session.trial_period_days,
        deferred: Some(Deferred {
            confirmation,
            payment_method_id: method.map(|m| m.id),
        }),
    };
    let Some(attempt_id) = start_attempt(store, session, &plan, 0, "none", now).await? else {
        return Err(super::checkout::not_editable(&refetch().await?, now));
    };
    let attempt = Attempt {
        id: &attempt_id,
        plan: &plan,
        method: None,
        reference: None,
    };
    if !finalize(store, session, &attempt, SessionStatus::Open, now).await? {
        store.release_session(&session.id, &attempt_id).await?;
        return Err(super::checkout::not_editable(&refetch().await?, now));
    }
    if let Some(trace_id) = &session.trace_id {
        tracing::info!(session = %session.id, trace_id = %trace_id, confirmation = confirmation.as_str(), "checkout session confirmed");
    }
    refetch().await
}

/// Claims `session` for a new attempt at `plan` and records the attempt: its id, or `None` when
/// the session is no longer open or another attempt holds it (then nothing was written).
async fn start_attempt(
    store: &Store,
    session: &CheckoutSession,
    plan: &PaymentPlan,
    amount: i64,
    processor: &str,
    now: i64,
) -> ServiceResult<Option<String>> {
    let attempt_id = new_id("att");
    if !store
        .claim_session(&session.id, &attempt_id, now, CLAIM_LEASE_MS)
        .await?
    {
        return Ok(None);
    }
    let plan_json = serde_json::to_string(plan).map_err(crate::store::StoreError::from)?;
    store
        .insert_attempt(
            &attempt_id,
            &session.id,
            &session.organization_id,
            session.livemode,
            plan.method_type.map_or("none", PaymentMethodType::as_str),
            amount,
            session.currency.map(Currency::code_lower).as_deref(),
            &plan_json,
            processor,
            now,
        )
        .await?;
    Ok(Some(attempt_id))
}

/// An attempt about to be finalized.
struct Attempt<'a> {
    id: &'a str,
    plan: &'a PaymentPlan,
    method: Option<&'a MethodSummary>,
    reference: Option<&'a str>,
}

async fn finish(
    store: &Store,
    session: &CheckoutSession,
    attempt: &Attempt<'_>,
    from: SessionStatus,
    public_base: &str,
    now: i64,
) -> ServiceResult<ConfirmOutcome> {
    if finalize(store, session, attempt, from, now).await? {
        let session = store
            .session_by_id(&session.id)
            .await?
            .unwrap_or_else(|| session.clone());
        Ok(ConfirmOutcome::Succeeded {
            next_url: success_url(&session, public_base),
        })
    } else {
        let status = store
            .session_by_id(&session.id)
            .await?
            .map_or(SessionStatus::Expired, |s| s.effective_status(now));
        tracing::warn!(session = %session.id, attempt = attempt.id, %status, "finalization lost its session");
        Ok(ConfirmOutcome::Closed(status))
    }
}

/// The end of an interval from `start_ms`, by the calendar (months and years keep the day).
pub fn period_end(start_ms: i64, period: Recurring) -> i64 {
    let start = chrono::DateTime::from_timestamp_millis(start_ms).unwrap_or_default();
    let count = period.interval_count.max(1);
    let end = match period.interval {
        RecurringInterval::Day => {
            start.checked_add_signed(chrono::TimeDelta::days(i64::from(count)))
        }
        RecurringInterval::Week => {
            start.checked_add_signed(chrono::TimeDelta::weeks(i64::from(count)))
        }
        RecurringInterval::Month => start.checked_add_months(chrono::Months::new(count)),
        RecurringInterval::Year => {
            start.checked_add_months(chrono::Months::new(count.saturating_mul(12)))
        }
    };
    end.map_or(start_ms, |e| e.timestamp_millis())
}

/// Creates what the session's kind asks for and completes it, in one transaction. `false` when
/// the session moved on meanwhile (then nothing was written).
async fn finalize(
    store: &Store,
    session: &CheckoutSession,
    attempt: &Attempt<'_>,
    from: SessionStatus,
    now: i64,
) -> ServiceResult<bool> {
    let plan = attempt.plan;
    let org = session.organization_id.as_str();
    let livemode = session.livemode;
    let model = session.pricing_model_id.as_str();
    let address = BillingAddress {
        name: plan.name.clone(),
        postal_code: plan.postal_code.clone(),
        country: plan.country.clone(),
        ..Default::default()
    };
    let address_json = serde_json::to_string(&address).map_err(crate::store::StoreError::from)?;
    let mut tx = store.begin().await?;
    let mut outbox = Outbox::default();
    let seconds = |ms: i64| ms / 1000;

    // The buyer: the session's customer, or one made now for an anonymous or guest checkout.
    let customer_id = match &session.customer_id {
        Some(id) => id.clone(),
        None => {
            let id = new_id(crate::domain::ids::CUSTOMER);
            tx.insert_customer(
                &NewCustomer {
                    id: &id,
                    organization_id: org,
                    livemode,
                    pricing_model_id: model,
                    external_id: None,
                    email: Some(&plan.email),
                    name: plan.name.as_deref(),
                    billing_address: Some(&address),
                    logo_url: None,
                    icon_url: None,
                    domain: None,
                    user_id: None,
                    archived: false,
                },
                now,
            )
            .await?;
            outbox.push(
                EventType::CustomerCreated,
                super::events::customer_object(&id, &plan.email, plan.name.as_deref(), None),
            );
            id
        }
    };

    let deferred_method = plan
        .deferred
        .as_ref()
        .and_then(|d| d.payment_method_id.clone());
    let payment_method_id = match (plan.save_method, attempt.method, plan.method_type) {
        _ if deferred_method.is_some() => deferred_method,
        (true, Some(method), Some(method_type)) => {
            let id = new_id("pm");
            let billing =
                serde_json::json!({ "name": plan.name, "email": plan.email, "address": address });
            tx.insert_payment_method(
                &NewPaymentMethod {
                    id: &id,
                    organization_id: org,
                    livemode,
                    pricing_model_id: model,
                    customer_id: &customer_id,
                    method_type: method_type.as_str(),
                    brand: method.brand.map(|b| b.display_name()),
                    last4: &method.last4,
                    exp_month: method.exp_month.map(i32::from),
                    exp_year: method.exp_year.map(i32::from),
                    fingerprint: &method.fingerprint,
                    bank_name: method.bank_name.as_deref(),
                    billing_details: &billing.to_string(),
                    is_default: true,
                },
                now,
            )
            .await?;
            outbox.push(
                EventType::PaymentMethodAttached,
                json!({
                    "id": id, "object": "payment_method", "customer": customer_id,
                    "type": method_type.as_str(), "brand": method.brand.map(|b| b.display_name()),
                    "last4": method.last4, "exp_month": method.exp_month, "exp_year": method.exp_year,
                }),
            );
            Some(id)
        }
        _ => None,
    };

    let currency = plan
        .currency
        .map(Currency::code_lower)
        .unwrap_or_else(|| "usd".into());
    let first = session.line_items.first();
    let name = session
        .output_name
        .clone()
        .or_else(|| first.map(|l| l.description.clone()))
        .unwrap_or_else(|| "Checkout".into());
    let total_quantity: u32 = plan.quantities.iter().sum();
    let mut purchase_id = None;
    let mut invoice_id = None;
    let mut subscription_id = None;

    match session.kind {
        SessionKind::Purchase => {
            if session.mode == SessionMode::Subscription {
                let (index, recurring_line) = session
                    .line_items
                    .iter()
                    .enumerate()
                    .find(|(_, l)| l.recurring.is_some())
                    .ok_or_else(|| {
                        ServiceError::Store(crate::store::StoreError::Corrupt(
                            "a subscription session without a recurring line".into(),
                        ))
                    })?;
                let period = recurring_line.recurring.expect("found by it");
                let trial_end = plan
                    .trial_period_days
                    .filter(|d| *d > 0)
                    .map(|d| now + i64::from(d) * 86_400_000);
                let period_end_at = trial_end.unwrap_or_else(|| period_end(now, period));
                let id = new_id(crate::domain::ids::SUBSCRIPTION);
                let metadata = session
                    .output_metadata
                    .as_ref()
                    .map(|m| serde_json::Value::Object(m.clone()).to_string());
                tx.start_subscription(
                    &StartedSubscription {
                        id: &id,
                        organization_id: org,
                        livemode,
                        customer_id: &customer_id,
                        price_id: &recurring_line.price_id,
                        quantity: plan.quantities.get(index).copied().unwrap_or(1) as i32,
                        status: if trial_end.is_some() {
                            "trialing"
                        } else {
                            "active"
                        },
                        name: Some(&name),
                        default_payment_method_id: payment_method_id.as_deref(),
                        billing_cycle_anchor: period_end_at,
                        current_period_start: now,
                        current_period_end: period_end_at,
                        trial_end,
                        metadata: metadata.as_deref(),
                    },
                    now,
                )
                .await?;
                outbox.push(
                    EventType::SubscriptionCreated,
                    json!({
                        "id": id, "object": "subscription", "customer": customer_id,
                        "price": recurring_line.price_id,
                        "quantity": plan.quantities.get(index).copied().unwrap_or(1),
                        "status": if trial_end.is_some() { "trialing" } else { "active" },
                        "current_period_end": seconds(period_end_at),
                        "trial_end": trial_end.map(seconds),
                    }),
                );
                subscription_id = Some(id);
            }
            let id = new_id("pur");
            let price_id = first.map(|l| l.price_id.as_str()).unwrap_or_default();
            let metadata = session
                .output_metadata
                .as_ref()
                .map(|m| serde_json::Value::Object(m.clone()).to_string());
            tx.insert_purchase(
                &NewPurchase {
                    id: &id,
                    organization_id: org,
                    livemode,
                    pricing_model_id: model,
                    customer_id: &customer_id,
                    session_id: &session.id,
                    price_id,
                    subscription_id: subscription_id.as_deref(),
                    quantity: total_quantity.max(1) as i32,
                    name: &name,
                    price_type: if session.mode == SessionMode::Subscription {
                        "subscription"
                    } else {
                        "single_payment"
                    },
                    first_invoice_value: plan.amounts.due_today,
                    total_purchase_value: plan.amounts.total,
                    billing_address: Some(&address_json),
                    metadata: metadata.as_deref(),
                },
                now,
            )
            .await?;
            outbox.push(
                EventType::PurchaseCompleted,
                json!({
                    "id": id, "object": "purchase", "customer": customer_id,
                    "checkout_session": session.id, "subscription": subscription_id,
                    "price": price_id, "quantity": total_quantity.max(1), "name": name,
                    "total": plan.amounts.total, "currency": currency,
                }),
            );
            purchase_id = Some(id);
        }
        SessionKind::AddPaymentMethod => {
            if let Some(pm) = &payment_method_id {
                if let Some(target) = &session.target_subscription_id {
                    tx.set_default_payment_method(&customer_id, Some(target), pm, now)
                        .await?;
                }
                if session.automatically_update_subscriptions == Some(true) {
                    tx.set_default_payment_method(&customer_id, None, pm, now)
                        .await?;
                }
            }
        }
        SessionKind::ActivateSubscription => {
            if let Some(target) = &session.target_subscription_id {
                let existing = store.subscription(org, livemode, target).await?;
                let period = first.and_then(|l| l.recurring);
                let anchor = match (
                    session.preserve_billing_cycle_anchor,
                    existing.as_ref().and_then(|s| s.billing_cycle_anchor),
                ) {
                    (true, Some(anchor)) => anchor,
                    _ => now,
                };
                let end = period.map_or(now, |p| period_end(now, p));
                if !tx
                    .activate_subscription(
                        target,
                        anchor,
                        now,
                        end,
                        payment_method_id.as_deref(),
                        now,
                    )
                    .await?
                {
                    drop(tx);
                    return Ok(false);
                }
                outbox.push(
                    EventType::SubscriptionUpdated,
                    json!({
                        "id": target, "object": "subscription", "customer": customer_id,
                        "status": "active", "current_period_end": seconds(end),
                        "default_payment_method": payment_method_id,
                    }),
                );
                subscription_id = Some(target.clone());
            }
        }
    }

    if session.kind != SessionKind::AddPaymentMethod {
        let id = new_id("inv");
        // A deferred completion leaves what is due on an open invoice.
        let paid = plan.deferred.is_none() || plan.amounts.due_today == 0;
        tx.insert_invoice(
            &NewInvoice {
                id: &id,
                organization_id: org,
                livemode,
                pricing_model_id: model,
                customer_id: &customer_id,
                session_id: Some(&session.id),
                purchase_id: purchase_id.as_deref(),
                subscription_id: subscription_id.as_deref(),
                invoice_type: if subscription_id.is_some() {
                    "subscription"
                } else {
                    "purchase"
                },
                currency: &currency,
                amounts: plan.amounts,
                tax_country: plan.tax.as_ref().map(|t| t.country.as_str()),
                tax_rate_millionths: plan.tax.as_ref().map(|t| t.rate.millionths() as i32),
            },
            paid,
            now,
        )
        .await?;
        if plan.amounts.due_today > 0 && plan.deferred.is_none() {
            let payment_id = new_id("pay");
            let method_type = plan.method_type.map_or("card", PaymentMethodType::as_str);
            tx.insert_succeeded_payment(
                &NewPayment {
                    id: &payment_id,
                    organization_id: org,
                    livemode,
                    pricing_model_id: model,
                    customer_id: &customer_id,
                    session_id: &session.id,
                    attempt_id: attempt.id,
                    invoice_id: &id,
                    purchase_id: purchase_id.as_deref(),
                    subscription_id: subscription_id.as_deref(),
                    payment_method_id: payment_method_id.as_deref(),
                    payment_method_type: method_type,
                    amount: plan.amounts.due_today,
                    currency: &currency,
                    subtotal: plan.amounts.subtotal - plan.amounts.discount,
                    tax_amount: plan.amounts.tax,
                    tax_country: plan.tax.as_ref().map(|t| t.country.as_str()),
                    description: Some(&name),
                    card_brand: attempt
                        .method
                        .and_then(|m| m.brand)
                        .map(|b| b.display_name()),
                    card_last4: attempt
                        .method
                        .map(|m| m.last4.as_str())
                        .filter(|l| !l.is_empty()),
                },
                now,
            )
            .await?;
            outbox.push(
                EventType::PaymentSucceeded,
                json!({
                    "id": payment_id, "object": "payment", "customer": customer_id,
                    "checkout_session": session.id, "invoice": id,
                    "amount": plan.amounts.due_today, "currency": currency,
                    "payment_method_type": method_type,
                }),
            );
        }
        invoice_id = Some(id);
    }

    let summary = attempt
        .method
        .map(serde_json::to_string)
        .transpose()
        .map_err(crate::store::StoreError::from)?;
    tx.update_attempt(
        attempt.id,
        &AttemptOutcome {
            status: "succeeded",
            method_summary: summary.as_deref(),
            processor_reference: attempt.reference,
            ..Default::default()
        },
        now,
    )
    .await?;
    if let Some(deferred) = &plan.deferred
        && !tx
            .record_confirmation(&session.id, deferred.confirmation, now)
            .await?
    {
        drop(tx);
        return Ok(false);
    }
    if let Some(discount) = &plan.discount {
        tx.redeem_discount(&discount.coupon_id, discount.promotion_code_id.as_deref())
            .await?;
    }
    let duration = plan
        .discount
        .as_ref()
        .map(|d| serde_json::to_string(&d.duration))
        .transpose()
        .map_err(crate::store::StoreError::from)?;
    let completed = tx
        .complete_session(&SessionCompletion {
            session_id: &session.id,
            attempt_id: attempt.id,
            from,
            now,
            customer_id: &customer_id,
            customer_email: &plan.email,
            customer_name: plan.name.as_deref(),
            billing_address: Some(&address_json),
            payment_method_type: plan.method_type.map_or("card", PaymentMethodType::as_str),
            amounts: plan.amounts,
            coupon_id: plan.discount.as_ref().map(|d| d.coupon_id.as_str()),
            promotion_code_id: plan
                .discount
                .as_ref()
                .and_then(|d| d.promotion_code_id.as_deref()),
            discount_duration: duration.as_deref(),
            quantities: &plan.quantities,
            purchase_id: purchase_id.as_deref(),
            invoice_id: invoice_id.as_deref(),
            subscription_id: subscription_id.as_deref(),
            payment_method_id: payment_method_id.as_deref(),
        })
        .await?;
    if !completed {
        drop(tx);
        return Ok(false);
    }
    let completed = json!({
        "id": session.id, "object": "checkout.session", "status": "succeeded",
        "kind": session.kind.as_str(), "mode": session.mode.as_str(), "customer": customer_id,
        "customer_email": plan.email, "amount_total": plan.amounts.total,
        "amount_due_today": plan.amounts.due_today, "currency": currency,
        "purchase": purchase_id, "subscription": subscription_id, "invoice": invoice_id,
        "payment_method": payment_method_id,
        "confirmation": plan.deferred.as_ref().map(|d| d.confirmation.as_str()),
        "trace_id": session.trace_id,
    });
    if from == SessionStatus::Pending {
        outbox.push(
            EventType::CheckoutSessionAsyncPaymentSucceeded,
            completed.clone(),
        );
    }
    outbox.push(EventType::CheckoutSessionCompleted, completed);
    outbox.write(&mut tx, org, livemode, now).await?;
    tx.commit().await?;
    Ok(true)
}

fn plan_from(attempt: &AttemptRecord) -> ServiceResult<PaymentPlan> {
    serde_json::from_str(&attempt.plan).map_err(|e| crate::store::StoreError::from(e).into())
}

fn summary_from(attempt: &AttemptRecord) -> ServiceResult<Option<MethodSummary>> {
    attempt
        .method_summary
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| crate::store::StoreError::from(e).into())
}

/// The buyer authenticated (3-D Secure) or approved (PayPal, Link, balance) the session's latest
/// attempt, or refused it.
pub async fn complete_action(
    store: &Store,
    processor: &dyn PaymentProcessor,
    public_base: &str,
    session_id: &str,
    approved: bool,
    now: i64,
) -> ServiceResult<ConfirmOutcome> {
    let Some(session) = store.session_by_id(session_id).await? else {
        return Err(ServiceError::NotFound("checkout session"));
    };
    let status = session.effective_status(now);
    if status != SessionStatus::Open {
        return Ok(ConfirmOutcome::Closed(status));
    }
    let Some(attempt) = pending_action(store, session_id).await? else {
        return Ok(ConfirmOutcome::Declined {
            code: "no_action".into(),
            message: "There is nothing to authenticate: start the payment again.".into(),
        });
    };
    if !store
        .claim_session(session_id, &attempt.id, now, CLAIM_LEASE_MS)
        .await?
    {
        return Ok(ConfirmOutcome::Busy);
    }
    let reference = attempt.processor_reference.clone().unwrap_or_default();
    let plan = plan_from(&attempt)?;
    let method = summary_from(&attempt)?;
    match processor.complete_action(&reference, approved).await {
        Ok(Settlement::Succeeded) => {
            let attempt = Attempt {
                id: &attempt.id,
                plan: &plan,
                method: method.as_ref(),
                reference: Some(&reference),
            };
            finish(
                store,
                &session,
                &attempt,
                SessionStatus::Open,
                public_base,
                now,
            )
            .await
        }
        Ok(Settlement::Failed { code, message }) => {
            record_decline(store, &session, &attempt.id, &code, &message, now).await?;
            Ok(ConfirmOutcome::Declined { code, message })
        }
        Err(error) => {
            tracing::error!(%error, session = session_id, "completing an action failed");
            store.release_session(session_id, &attempt.id).await?;
            Ok(ConfirmOutcome::Declined {
                code: "processor_error".into(),
                message: "The payment could not be completed. Nothing was charged; try again."
                    .into(),
            })
        }
    }
}

/// The session's latest attempt if it awaits the buyer's authentication or approval.
pub async fn pending_action(
    store: &Store,
    session_id: &str,
) -> ServiceResult<Option<AttemptRecord>> {
    let Some(latest) = store.latest_attempt_id(session_id).await? else {
        return Ok(None);
    };
    Ok(store
        .attempt(&latest)
        .await?
        .filter(|a| a.status == "requires_action"))
}

/// Asks the processor how due asynchronous payments settled and finishes their sessions:
/// succeeded (what the kind asks for is created) or failed. Returns how many it settled.
pub async fn settle_due(
    store: &Store,
    processor: &dyn PaymentProcessor,
    now: i64,
) -> ServiceResult<usize> {
    let mut settled = 0;
    for attempt in store.due_attempts(now, 50).await? {
        if !store
            .claim_due_attempt(&attempt.id, now, SETTLE_LEASE_MS)
            .await?
        {
            continue;
        }
        let Some(session) = store.session_by_id(&attempt.session_id).await? else {
            continue;
        };
        let reference = attempt.processor_reference.clone().unwrap_or_default();
        let outcome = match processor.settle(&reference).await {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::error!(%error, attempt = %attempt.id, "settling failed; will ask again");
                continue;
            }
        };
        let plan = plan_from(&attempt)?;
        match outcome {
            Settlement::Succeeded => {
                let method = summary_from(&attempt)?;
                let finishing = Attempt {
                    id: &attempt.id,
                    plan: &plan,
                    method: method.as_ref(),
                    reference: Some(&reference),
                };
                if finalize(store, &session, &finishing, SessionStatus::Pending, now).await? {
                    settled += 1;
                }
            }
            Settlement::Failed { code, message } => {
                let mut tx = store.begin().await?;
                tx.update_attempt(
                    &attempt.id,
                    &AttemptOutcome {
                        status: "failed",
                        decline_code: Some(&code),
                        decline_message: Some(&message),
                        ..Default::default()
                    },
                    now,
                )
                .await?;
                if tx
                    .move_session(
                        &session.id,
                        &attempt.id,
                        SessionStatus::Pending,
                        SessionStatus::Failed,
                        now,
                    )
                    .await?
                {
                    let mut outbox = Outbox::default();
                    outbox.push(
                        EventType::PaymentFailed,
                        failed_payment(&session, &attempt.id, &code, &message),
                    );
                    outbox.push(
                        EventType::CheckoutSessionAsyncPaymentFailed,
                        json!({
                            "id": session.id, "object": "checkout.session", "status": "failed",
                            "kind": session.kind.as_str(), "mode": session.mode.as_str(),
                            "customer": session.customer_id,
                            "failure_code": code, "failure_message": message,
                        }),
                    );
                    outbox
                        .write(&mut tx, &session.organization_id, session.livemode, now)
                        .await?;
                    tx.commit().await?;
                    settled += 1;
                }
            }
        }
    }
    Ok(settled)
}

/// Whether `principal` may act on `session` (its organization and mode).
pub fn owns(principal: &Principal, session: &CheckoutSession) -> bool {
    session.organization_id == principal.organization_id
        && Mode::from_livemode(session.livemode) == principal.mode
}
