//! The order summary: lines, subtotal, discount, tax, total, and what is due today.

use crate::domain::catalog::{CouponValue, Recurring, RecurringInterval};
use crate::domain::money::{Currency, Money};
use crate::domain::session::totals::Totals;
use crate::i18n::{Tr, use_tr};
use crate::server_fns::checkout::{DiscountView, LineView};
use leptos::prelude::*;

/// `$15.00 per month`, `$40.00 every 3 months`, in the page's language.
pub fn per_period(tr: Tr, amount: Money, period: Recurring) -> String {
    let amount = tr.money(amount);
    let count = period.interval_count.to_string();
    let english = match (period.interval_count, period.interval) {
        (1, RecurringInterval::Day) => "{amount} per day",
        (1, RecurringInterval::Week) => "{amount} per week",
        (1, RecurringInterval::Month) => "{amount} per month",
        (1, RecurringInterval::Year) => "{amount} per year",
        (_, RecurringInterval::Day) => "{amount} every {count} days",
        (_, RecurringInterval::Week) => "{amount} every {count} weeks",
        (_, RecurringInterval::Month) => "{amount} every {count} months",
        (_, RecurringInterval::Year) => "{amount} every {count} years",
    };
    tr.tf(english, &[("amount", &amount), ("count", &count)])
}

/// How a discount reads: `SPRING (50% off)`, `Launch ($5.00 off)`.
pub fn describe_discount(tr: Tr, discount: &DiscountView) -> String {
    let value = match discount.value {
        CouponValue::PercentOff(rate) => {
            tr.tf("{percent}% off", &[("percent", &rate.percent_string())])
        }
        CouponValue::AmountOff(amount) => tr.tf("{amount} off", &[("amount", &tr.money(amount))]),
    };
    match discount.code.as_ref().or(discount.name.as_ref()) {
        Some(label) => format!("{label} ({value})"),
        None => tr.tf("Discount ({value})", &[("value", &value)]),
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
    let tr = use_tr();
    let money = move |amount: i64| {
        currency
            .map(|c| tr.money(Money::new(amount, c)))
            .unwrap_or_default()
    };
    let rows = lines
        .into_iter()
        .zip(quantities)
        .map(|(line, quantity)| {
            let unit = line.unit_amount;
            let each = match line.recurring {
                Some(period) => per_period(tr, unit, period),
                None => tr.money(unit),
            };
            view! {
                <li class="line">
                    <div class="line-text">
                        <span class="line-name">{line.description.clone()}</span>
                        <span class="line-detail">{move || format!("{} × {}", quantity.get(), each)}</span>
                    </div>
                    <span class="line-amount">
                        {move || tr.money(Money::new(unit.amount.saturating_mul(i64::from(quantity.get())), unit.currency))}
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="lines" aria-label=tr.t("Your order")>{rows}</ul>
        <dl class="totals">
            <div class="row">
                <dt>{tr.t("Subtotal")}</dt>
                <dd>{move || totals.get().map(|t| money(t.subtotal))}</dd>
            </div>
            {move || {
                let t = totals.get()?;
                let d = discount.get()?;
                (t.discount > 0).then(|| view! {
                    <div class="row discount">
                        <dt>{describe_discount(tr, &d)}</dt>
                        <dd>{format!("−{}", money(t.discount))}</dd>
                    </div>
                })
            }}
            {move || {
                let t = totals.get()?;
                (t.tax > 0).then(|| view! {
                    <div class="row">
                        <dt>{tr.t(if t.tax_inclusive { "Tax (included)" } else { "Tax" })}</dt>
                        <dd>{money(t.tax)}</dd>
                    </div>
                })
            }}
            <div class="row total">
                <dt>{tr.t("Total")}</dt>
                <dd>{move || totals.get().map(|t| money(t.total))}</dd>
            </div>
            {move || {
                let t = totals.get()?;
                (t.due_today != t.total).then(|| view! {
                    <div class="row due">
                        <dt>{tr.t("Due today")}</dt>
                        <dd>{money(t.due_today)}</dd>
                    </div>
                })
            }}
        </dl>
        {move || {
            let t = totals.get()?;
            let recurring = t.recurring?;
            let then = per_period(tr, t.money(recurring.amount), recurring.period);
            Some(view! {
                <p class="then">
                    {match trial_period_days {
                        Some(days) => tr.tf("Free for {days} days, then {then}.", &[("days", &days.to_string()), ("then", &then)]),
                        None => tr.tf("Then {then}.", &[("then", &then)]),
                    }}
                </p>
            })
        }}
    }
}
