//! Pricing a session as the buyer would pay it now. The server never trusts the page's figures:
//! prices come from the catalog, quantities are checked against their bounds, the code and the
//! tax rate are looked up.

use super::AppliedTax;
use super::discount;
use crate::domain::catalog::{Coupon, TaxRate};
use crate::domain::field::{Field, FieldError};
use crate::domain::session::CheckoutSession;
use crate::domain::session::draft::check_quantity;
use crate::domain::session::totals::{self, DiscountTerms, PricedLine, TaxTerms, Totals};
use crate::store::{Store, StoreError};

/// A session priced for payment: the catalog re-read, the buyer's quantities, code and country.
#[derive(Debug, Clone)]
pub struct Priced {
    pub quantities: Vec<u32>,
    /// The coupon that applies, and the promotion code it came through.
    pub discount: Option<(Coupon, Option<String>)>,
    pub tax: Option<AppliedTax>,
    pub totals: Option<Totals>,
}

/// Why a session cannot be priced as asked.
pub enum PriceProblem {
    /// Fields the buyer can correct.
    Invalid(Vec<FieldError>),
    /// Nothing the buyer can do: an item gone, a total too large, the database down.
    Unavailable(String),
}

impl From<StoreError> for PriceProblem {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "pricing a session");
        PriceProblem::Unavailable(
            "This checkout cannot be priced right now. Try again in a moment.".into(),
        )
    }
}

/// Prices `session` with the buyer's `requested` quantities (by line position), the promotion
/// code they typed and their country.
pub async fn price_session(
    store: &Store,
    session: &CheckoutSession,
    requested: &[(usize, i64)],
    promotion_code: Option<&str>,
    country: Option<&str>,
    now: i64,
) -> Result<Priced, PriceProblem> {
    let mut errors = Vec::new();
    let quantities = quantities(session, requested, &mut errors);

    let org = session.organization_id.as_str();
    let mut lines = Vec::with_capacity(session.line_items.len());
    for (line, quantity) in session.line_items.iter().zip(&quantities) {
        let price = store.price(org, session.livemode, &line.price_id).await?;
        let Some(price) = price.filter(|p| p.sellable_in(&session.id)) else {
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

    let discount = match promotion_code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => match discount::for_buyer(store, session, code, now).await? {
            Ok(found) => Some((found.coupon, found.promotion_code.map(|p| p.id))),
            Err(message) => {
                errors.push(FieldError::invalid(Field::PromotionCode, message));
                None
            }
        },
        // The discount the merchant put on the session, if it can still be used.
        None => match &session.discount {
            None => None,
            Some(applied) => {
                match discount::by_coupon(
                    store,
                    org,
                    session.livemode,
                    &applied.coupon_id,
                    session.currency,
                    now,
                )
                .await?
                {
                    Ok(found) => Some((found.coupon, applied.promotion_code_id.clone())),
                    Err(_) => {
                        errors.push(FieldError::invalid(
                            Field::PromotionCode,
                            "The discount on this order is no longer valid.",
                        ));
                        None
                    }
                }
            }
        },
    };

    let tax = match country {
        Some(country) => {
            // Those in effect when the session was made, as its page showed them.
            let rates = store
                .tax_rates_at(org, session.livemode, session.created_at)
                .await?;
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
    let totals = match session.currency {
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

/// Each line's quantity: as the session has it, or as the buyer changed it within its bounds.
fn quantities(
    session: &CheckoutSession,
    requested: &[(usize, i64)],
    errors: &mut Vec<FieldError>,
) -> Vec<u32> {
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
    quantities
}

/// `message` as a sentence: its first letter upper case, one full stop at the end.
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
