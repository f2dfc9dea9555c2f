//! The order summary: lines, subtotal, discount, tax, total, and what is due today.

use crate::domain::catalog::{CouponValue, Recurring};
use crate::domain::money::{Currency, Money};
use crate::domain::session::totals::Totals;
use crate::server_fns::checkout::{DiscountView, LineView};
use leptos::prelude::*;

/// `$15.00 per month`, `$40.00 every 3 months`.
pub fn per_period(amount: Money, period: Recurring) -> String {
    if period.interval_count == 1 {
        format!("{} per {}", amount.display(), period.interval.as_str())
    } else {
        format!("{} every {}", amount.display(), period.describe())
    }
}

/// How a discount reads: `SPRING (50% off)`, `Launch ($5.00 off)`.
pub fn describe_discount(discount: &DiscountView) -> String {
    let value = match discount.value {
        CouponValue::PercentOff(rate) => format!("{}% off", rate.percent_string()),
        CouponValue::AmountOff(amount) => format!("{} off", amount.display()),
    };
    match discount.code.as_ref().or(discount.name.as_ref()) {
        Some(label) => format!("{label} ({value})"),
        None => format!("Discount ({value})"),
    }
}

/// The summary's rows, live: quantities, code and country change them as the buyer acts.
#[component]
pub fn Summary(
    lines: Vec<LineView>,
    quantities: Vec<RwSignal<u32>>,
    currency: Option<Currency>,
    totals: Memo<Option<Totals>>,
    discount: RwSignal<Option<DiscountView>>,
    trial_period_days: Option<u32>,
) -> impl IntoView {
    let money = move |amount: i64| {
        currency
            .map(|c| Money::new(amount, c).display())
            .unwrap_or_default()
    };
    let rows = lines
        .into_iter()
        .zip(quantities)
        .map(|(line, quantity)| {
            let unit = line.unit_amount;
            let each = match line.recurring {
                Some(period) => per_period(unit, period),
                None => unit.display(),
            };
            view! {
                <li class="line">
                    <div class="line-text">
                        <span class="line-name">{line.description.clone()}</span>
                        <span class="line-detail">{move || format!("{} × {}", quantity.get(), each)}</span>
                    </div>
                    <span class="line-amount">
                        {move || Money::new(unit.amount.saturating_mul(i64::from(quantity.get())), unit.currency).display()}
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="lines" aria-label="Your order">{rows}</ul>
        <dl class="totals">
            <div class="row">
                <dt>"Subtotal"</dt>
                <dd>{move || totals.get().map(|t| money(t.subtotal))}</dd>
            </div>
            {move || {
                let t = totals.get()?;
                let d = discount.get()?;
                (t.discount > 0).then(|| view! {
                    <div class="row discount">
                        <dt>{describe_discount(&d)}</dt>
                        <dd>{format!("−{}", money(t.discount))}</dd>
                    </div>
                })
            }}
            {move || {
                let t = totals.get()?;
                (t.tax > 0).then(|| view! {
                    <div class="row">
                        <dt>{if t.tax_inclusive { "Tax (included)" } else { "Tax" }}</dt>
                        <dd>{money(t.tax)}</dd>
                    </div>
                })
            }}
            <div class="row total">
                <dt>"Total"</dt>
                <dd>{move || totals.get().map(|t| money(t.total))}</dd>
            </div>
            {move || {
                let t = totals.get()?;
                (t.due_today != t.total).then(|| view! {
                    <div class="row due">
                        <dt>"Due today"</dt>
                        <dd>{money(t.due_today)}</dd>
                    </div>
                })
            }}
        </dl>
        {move || {
            let t = totals.get()?;
            let recurring = t.recurring?;
            let then = per_period(t.money(recurring.amount), recurring.period);
            Some(view! {
                <p class="then">
                    {match trial_period_days {
                        Some(days) => format!("Free for {days} days, then {then}."),
                        None => format!("Then {then}."),
                    }}
                </p>
            })
        }}
    }
}
