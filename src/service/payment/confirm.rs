//! The buyer's confirm on the hosted page: checks the form, prices the session, records the
//! attempt with the session claimed, charges, and records what the processor said.

use super::attempt::{self, Attempt};
use super::finalize::finish;
use super::pricing::{PriceProblem, Priced, price_session};
use super::refund::finish_charged;
use super::{
    ATTEMPT_WINDOW_MS, ATTEMPTS_PER_SESSION, ConfirmOutcome, PaymentPlan, session_page, year_month,
};
use crate::domain::field::{Field, FieldError};
use crate::domain::money::{Currency, Money};
use crate::domain::payment::{
    AttemptStatus, BuyerDetails, PaymentDetails, PaymentForm, check_buyer, check_method,
};
use crate::domain::session::PaymentMethodType;
use crate::domain::session::{
    AmountSummary, AppliedDiscount, CheckoutSession, SessionKind, SessionMode, SessionStatus,
};
use crate::payments::{
    Buyer, ChargeOutcome, ChargeRequest, ClientInfo, PaymentProcessor, ProcessorError,
    SavedChargeRequest, SavedMethod,
};
use crate::service::processors::Processors;
use crate::service::{ServiceError, ServiceResult};
use crate::store::PaymentMethodRecord;
use crate::store::Store;

/// A confirm, as the checkout form posts it.
#[derive(Debug, Clone, Default)]
pub struct ConfirmRequest {
    pub session_id: String,
    pub form: PaymentForm,
    pub promotion_code: Option<String>,
    /// Requested quantities by line position.
    pub quantities: Vec<(usize, i64)>,
    /// The buyer's address and browser (a debit mandate records them).
    pub client: ClientInfo,
    /// The language the buyer pays in: their receipt and later mail speak it.
    pub lang: Option<crate::i18n::Lang>,
    /// The amount due now as the page showed it, when the page sent it: a confirm is refused
    /// (and the page shown again with the new total) when the priced amount differs, so that no
    /// buyer is charged an amount they were not shown.
    pub shown_total: Option<i64>,
}

/// What the buyer reads when the total changed since the page showed it.
pub const TOTAL_CHANGED: &str =
    "Your total changed with your country's tax or your quantities. Check the new total, then pay.";

/// What the buyer reads when the merchant changed the session while they paid.
pub const TERMS_CHANGED: &str =
    "This order changed while you were paying. Check it and its total, then pay.";

const NO_LIVE_PROCESSOR: &str =
    "This shop cannot take live payments yet: no live payment processor is configured.";
const NO_TEST_PROCESSOR: &str =
    "This shop cannot take test payments right now: its test payment processor is not set up.";

/// The confirm: checks the form, prices the session, claims it, charges, and records the outcome.
pub async fn confirm(
    store: &Store,
    processors: &Processors,
    public_base: &str,
    request: ConfirmRequest,
    now: i64,
) -> ServiceResult<ConfirmOutcome> {
    let Some((session, latest)) = store
        .session_with_latest_attempt(&request.session_id)
        .await?
    else {
        return Err(ServiceError::NotFound("checkout session"));
    };
    let status = session.effective_status(now);
    if status != SessionStatus::Open {
        return Ok(ConfirmOutcome::Closed(status));
    }
    let Some(processor) = processors
        .for_new_payment(store, &session.organization_id, session.livemode)
        .await?
    else {
        return Ok(ConfirmOutcome::Unavailable(
            if session.livemode {
                NO_LIVE_PROCESSOR
            } else {
                NO_TEST_PROCESSOR
            }
            .into(),
        ));
    };
    let processor = processor.as_ref();
    let (plan, details) = match checked(store, &session, &request, processor.name(), now).await? {
        Ok(checked) => checked,
        Err(outcome) => return Ok(outcome),
    };
    if let Some(retry_after_s) = limited(store, &session, now).await? {
        return Ok(ConfirmOutcome::Limited { retry_after_s });
    }
    let due_today = plan.amounts.due_today;
    let status = if details.is_some() {
        AttemptStatus::Charging
    } else {
        AttemptStatus::Created
    };
    let Some(attempt_id) = attempt::start(
        store,
        &session,
        latest,
        &plan,
        due_today,
        processor.name(),
        status,
        now,
    )
    .await?
    else {
        return not_claimed(store, &session, public_base, now).await;
    };
    let Some(details) = details else {
        // A zero total completes without charging.
        let attempt = Attempt {
            id: &attempt_id,
            processor: processor.name(),
            status,
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
    let return_url = format!("{}/return", session_page(&session.id, public_base));
    let amount = Money::new(due_today, session.currency.unwrap_or(usd()));
    let buyer = Buyer {
        email: &plan.email,
        name: plan.name.as_deref(),
    };
    let charge = match &details {
        Paying::New(details) => {
            processor
                .charge(ChargeRequest {
                    idempotency_key: &attempt_id,
                    amount,
                    details,
                    save_for_later: plan.save_method,
                    livemode: session.livemode,
                    buyer,
                    return_url: &return_url,
                    client: &request.client,
                })
                .await
        }
        // The buyer is here and chose it; the processor charges it as it charges renewals.
        Paying::Saved(method) => {
            processor
                .charge_saved(SavedChargeRequest {
                    idempotency_key: &attempt_id,
                    amount,
                    method: SavedMethod::of(method),
                    livemode: session.livemode,
                    buyer,
                })
                .await
        }
    };
    let charging = Attempt {
        id: &attempt_id,
        processor: processor.name(),
        status,
        plan: &plan,
        method: None,
        reference: None,
    };
    record_charge(
        store,
        processor,
        &session,
        charging,
        charge,
        public_base,
        now,
    )
    .await
}

/// How the buyer pays: with a method typed in now, or with one they saved at an earlier checkout.
pub(super) enum Paying {
    New(PaymentDetails),
    Saved(Box<PaymentMethodRecord>),
}

impl Paying {
    fn method_type(&self) -> Option<PaymentMethodType> {
        match self {
            Paying::New(details) => Some(details.method_type()),
            Paying::Saved(method) => method.method_type.parse().ok(),
        }
    }
}

/// The saved method a returning buyer chose, if the session may use it: its own customer's, one
/// they agreed to see again, kept by the processor that takes this payment, of a type the
/// session takes.
async fn saved_method(
    store: &Store,
    session: &CheckoutSession,
    id: &str,
    processor: &str,
) -> ServiceResult<Result<PaymentMethodRecord, FieldError>> {
    let method = store
        .payment_method(&session.organization_id, session.livemode, id)
        .await?
        .filter(|m| {
            Some(&m.customer_id) == session.customer_id.as_ref()
                && m.allow_redisplay.as_deref() == Some("always")
                && m.processor.as_deref() == Some(processor)
                && m.processor_method_id.is_some()
                && m.method_type
                    .parse::<PaymentMethodType>()
                    .is_ok_and(|t| session.payment_method_types.contains(&t))
        });
    Ok(method.ok_or_else(|| {
        FieldError::invalid(
            Field::SavedPaymentMethod,
            "This saved payment method cannot be used here: choose another.",
        )
    }))
}

/// Why a confirm could not claim the session: it is closed, another confirm holds it, or its
/// latest charge's answer was lost and is being looked up.
async fn not_claimed(
    store: &Store,
    session: &CheckoutSession,
    public_base: &str,
    now: i64,
) -> ServiceResult<ConfirmOutcome> {
    let Some(current) = store.session_claim(&session.id).await? else {
        return Ok(ConfirmOutcome::Closed(SessionStatus::Expired));
    };
    let status = current.status.effective(current.expires_at, now);
    if status != SessionStatus::Open {
        return Ok(ConfirmOutcome::Closed(status));
    }
    if current.claimed_until.is_some_and(|until| until >= now) {
        return Ok(ConfirmOutcome::Busy);
    }
    if current.updated_at != session.updated_at {
        return Ok(ConfirmOutcome::Invalid(vec![FieldError::invalid(
            Field::Total,
            TERMS_CHANGED,
        )]));
    }
    Ok(match current.latest_attempt {
        Some(a) if a.outcome_unknown() => ConfirmOutcome::Checking {
            next_url: session_page(&session.id, public_base),
        },
        _ => ConfirmOutcome::Busy,
    })
}

/// Card testing: `Some(seconds to wait)` when the session has had [`ATTEMPTS_PER_SESSION`]
/// attempts within the last [`ATTEMPT_WINDOW_MS`].
async fn limited(store: &Store, session: &CheckoutSession, now: i64) -> ServiceResult<Option<u64>> {
    let since = now - ATTEMPT_WINDOW_MS;
    let (count, oldest) = store.attempts_since(&session.id, since).await?;
    if count < ATTEMPTS_PER_SESSION {
        return Ok(None);
    }
    let free_at = oldest.unwrap_or(now) + ATTEMPT_WINDOW_MS;
    Ok(Some(((free_at - now).max(1000) / 1000) as u64))
}

/// Checks the buyer's form and prices the session: what the attempt will pay for, and the payment
/// details when there is anything to charge or keep; else what to tell the buyer.
async fn checked(
    store: &Store,
    session: &CheckoutSession,
    request: &ConfirmRequest,
    processor: &str,
    now: i64,
) -> ServiceResult<Result<(PaymentPlan, Option<Paying>), ConfirmOutcome>> {
    let mut errors = Vec::new();
    let known_email = session
        .customer_id
        .as_ref()
        .and(session.customer_email.as_deref());
    let buyer = check_buyer(&request.form, known_email, &session.collection)
        .map_err(|mut e| errors.append(&mut e))
        .ok()
        .and_then(|mut buyer| {
            // The browser checked the shape; the number must also exist in its country's plan.
            if let Some(typed) = &buyer.phone {
                match crate::service::phone::to_e164(typed, &buyer.country) {
                    Ok(e164) => buyer.phone = Some(e164),
                    Err(message) => {
                        errors.push(FieldError::invalid(Field::Phone, message));
                        return None;
                    }
                }
            }
            Some(buyer)
        });
    let priced = match price_session(
        store,
        session,
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
        Err(PriceProblem::Unavailable(message)) => {
            return Ok(Err(ConfirmOutcome::Unavailable(message)));
        }
    };
    let due_today = priced
        .as_ref()
        .and_then(|p| p.totals.as_ref())
        .map_or(0, |t| t.due_today);
    // Nothing to pay now and nothing to keep for later: no payment method is asked for.
    let needs_method = due_today > 0
        || session.mode != SessionMode::Payment
        || session.kind != SessionKind::Purchase;
    let details = match request.form.saved_method() {
        _ if !needs_method => None,
        Some(id) => saved_method(store, session, id, processor)
            .await?
            .map(|m| Paying::Saved(Box::new(m)))
            .map_err(|e| errors.push(e))
            .ok(),
        None => check_method(
            &request.form,
            &session.payment_method_types,
            year_month(now),
        )
        .map(Paying::New)
        .map_err(|mut e| errors.append(&mut e))
        .ok(),
    };
    let (Some(buyer), Some(priced)) = (buyer, priced) else {
        return Ok(Err(ConfirmOutcome::Invalid(errors)));
    };
    if !errors.is_empty() {
        return Ok(Err(ConfirmOutcome::Invalid(errors)));
    }
    if request.shown_total.is_some_and(|shown| shown != due_today) {
        return Ok(Err(ConfirmOutcome::Invalid(vec![FieldError::invalid(
            Field::Total,
            TOTAL_CHANGED,
        )])));
    }
    let consent = request.form.consents_to_save();
    let mut plan = plan_of(session, &buyer, &priced, details.as_ref(), consent);
    plan.lang = request.lang;
    Ok(Ok((plan, details)))
}

/// Records what the processor said of a charge (or, from the reconciler, what a lookup found)
/// and tells the buyer what comes next. A lost answer leaves the attempt charging, to be asked
/// about: the buyer reads that the payment is being checked.
pub(super) async fn record_charge(
    store: &Store,
    processor: &dyn PaymentProcessor,
    session: &CheckoutSession,
    charging: Attempt<'_>,
    charge: Result<ChargeOutcome, ProcessorError>,
    public_base: &str,
    now: i64,
) -> ServiceResult<ConfirmOutcome> {
    let id = charging.id;
    let checking = || ConfirmOutcome::Checking {
        next_url: session_page(&session.id, public_base),
    };
    match charge {
        Ok(ChargeOutcome::Succeeded { reference, method }) => {
            let attempt = Attempt {
                method: Some(&method),
                reference: Some(&reference),
                ..charging
            };
            let from = SessionStatus::Open;
            finish_charged(store, processor, session, &attempt, from, public_base, now).await
        }
        Ok(ChargeOutcome::Declined { code, message }) => {
            let declined = charging.status.decline()?;
            attempt::record_refusal(store, session, id, declined, &code, &message, now).await?;
            store.metrics().payment("declined");
            Ok(ConfirmOutcome::Declined { code, message })
        }
        Ok(ChargeOutcome::RequiresAction {
            reference,
            action,
            method,
            redirect_url,
        }) => {
            let step = attempt::Step {
                reference: &reference,
                action,
                method: &method,
                redirect_url: redirect_url.as_deref(),
            };
            attempt::record_requires_action(store, session, id, charging.status, &step, now)
                .await?;
            store.metrics().payment("requires_action");
            Ok(ConfirmOutcome::RequiresAction {
                next_url: redirect_url.unwrap_or_else(|| {
                    format!("{}/authenticate", session_page(&session.id, public_base))
                }),
            })
        }
        Ok(ChargeOutcome::Processing {
            reference,
            method,
            settle_after_ms,
        }) => {
            let settle_after = now + settle_after_ms;
            let recorded = attempt::record_processing(
                store,
                session,
                id,
                &reference,
                &method,
                settle_after,
                now,
            )
            .await?;
            store.metrics().payment("processing");
            if recorded == Some(false) {
                // The session ended while the debit was being made: it is given back once it
                // settles (see `settle`).
                tracing::warn!(session = %session.id, attempt = id, "a bank debit began after its session ended");
            }
            Ok(ConfirmOutcome::Processing {
                next_url: session_page(&session.id, public_base),
            })
        }
        Err(error) if error.may_have_charged() => {
            tracing::warn!(%error, session = %session.id, attempt = id,
                "the processor's answer is unknown; the charge will be looked up");
            store.metrics().payment("unknown");
            Ok(checking())
        }
        Err(ProcessorError::LiveModeUnavailable) => {
            let failed = charging.status.fail()?;
            let code = "livemode_unavailable";
            attempt::record_refusal(store, session, id, failed, code, NO_LIVE_PROCESSOR, now)
                .await?;
            store.metrics().payment("failed");
            Ok(ConfirmOutcome::Unavailable(NO_LIVE_PROCESSOR.into()))
        }
        Err(error) => {
            // The processor refused the request itself: nothing moved.
            tracing::error!(%error, session = %session.id, "the payment processor failed");
            let message =
                "The payment could not be processed. Nothing was charged; try again in a moment.";
            let failed = charging.status.fail()?;
            let code = "processor_error";
            attempt::record_refusal(store, session, id, failed, code, message, now).await?;
            store.metrics().payment("failed");
            Ok(ConfirmOutcome::Declined {
                code: code.into(),
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
    details: Option<&Paying>,
    consent: bool,
) -> PaymentPlan {
    let saved = match details {
        Some(Paying::Saved(method)) => Some(method.id.clone()),
        _ => None,
    };
    // A known customer who ticked "save for next time" keeps a new card or account, and sees it
    // at their next checkout (only a known customer is offered the box).
    let keep_for_next_time = consent
        && session.customer_id.is_some()
        && session.collection.payment_method_save
        && matches!(details, Some(Paying::New(d)) if d.method_type().can_be_saved());
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
        billing: buyer.address.clone(),
        phone: buyer.phone.clone(),
        shipping: buyer.shipping.clone(),
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
        method_type: details.and_then(Paying::method_type),
        // Subscriptions charge again, activations and saved methods are for later: keep the method
        // (a saved one is kept already).
        save_method: saved.is_none()
            && details.is_some()
            && (session.mode != SessionMode::Payment
                || session.kind != SessionKind::Purchase
                || keep_for_next_time),
        redisplay: keep_for_next_time,
        saved_method_id: saved,
        trial_period_days: session.trial_period_days,
        deferred: None,
        lang: None,
        answers: buyer.answers.clone(),
        tax_ids: buyer.tax_ids.clone(),
    }
}
