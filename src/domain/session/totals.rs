//! The one function that prices a session: line subtotals, discount, tax, total, and what is due
//! today. The checkout page calls it in the browser as the buyer changes quantities or enters a
//! code; the server calls it again when the session is created and when it is paid, and trusts
//! only its own result.
//!
//! Every division rounds half to even in minor units. An amount-off discount is spread over the
//! lines in proportion to their subtotals (largest remainder first), so that line discounts add up
//! to the session's exactly.

use crate::domain::catalog::{CouponDuration, CouponValue, Recurring};
use crate::domain::money::{Currency, Money, MoneyError, RATE_SCALE, Rate, div_round_half_even};
use serde::{Deserialize, Serialize};

/// A line to price: its unit amount, quantity, and period when recurring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricedLine {
    pub unit_amount: Money,
    pub quantity: u32,
    pub recurring: Option<Recurring>,
}

/// A discount to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiscountTerms {
    pub value: CouponValue,
    pub duration: CouponDuration,
}

/// A tax to apply: a rate, and whether prices already include it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxTerms {
    pub rate: Rate,
    pub inclusive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LineTotals {
    pub subtotal: i64,
    pub discount: i64,
    pub tax: i64,
    pub total: i64,
}

/// What follows the first payment of a subscription: the amount each period, and the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurringTotal {
    pub amount: i64,
    pub period: Recurring,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub currency: Currency,
    pub lines: Vec<LineTotals>,
    pub subtotal: i64,
    pub discount: i64,
    /// Tax in the total; with inclusive tax it is part of the subtotal, not added to it.
    pub tax: i64,
    pub tax_inclusive: bool,
    pub total: i64,
    /// What the buyer pays now: everything but recurring lines in a trial.
    pub due_today: i64,
    /// The charge each period after this one, for subscriptions.
    pub recurring: Option<RecurringTotal>,
}

impl Totals {
    pub fn money(&self, amount: i64) -> Money {
        Money::new(amount, self.currency)
    }
}

/// Prices `lines` (all in `currency`) with an optional discount and tax. `trial_days > 0` makes
/// recurring lines free today. Fails only on overflow or a line in another currency.
pub fn compute(
    currency: Currency,
    lines: &[PricedLine],
    discount: Option<DiscountTerms>,
    tax: Option<TaxTerms>,
    trial_days: Option<u32>,
) -> Result<Totals, MoneyError> {
    let mut subtotals = Vec::with_capacity(lines.len());
    for line in lines {
        if line.unit_amount.currency != currency {
            return Err(MoneyError::CurrencyMismatch(
                currency.code(),
                line.unit_amount.currency.code(),
            ));
        }
        if line.unit_amount.amount < 0 {
            return Err(MoneyError::Overflow);
        }
        subtotals.push(line.unit_amount.checked_mul(line.quantity)?.amount);
    }
    let discounts = allocate_discount(&subtotals, discount.map(|d| d.value))?;
    let line_totals = price_lines(&subtotals, &discounts, tax)?;

    let in_trial = trial_days.is_some_and(|d| d > 0);
    let mut totals = Totals {
        currency,
        lines: line_totals.clone(),
        subtotal: 0,
        discount: 0,
        tax: 0,
        tax_inclusive: tax.is_some_and(|t| t.inclusive),
        total: 0,
        due_today: 0,
        recurring: None,
    };
    for (line, t) in lines.iter().zip(&line_totals) {
        totals.subtotal = add(totals.subtotal, t.subtotal)?;
        totals.discount = add(totals.discount, t.discount)?;
        totals.tax = add(totals.tax, t.tax)?;
        totals.total = add(totals.total, t.total)?;
        if !(in_trial && line.recurring.is_some()) {
            totals.due_today = add(totals.due_today, t.total)?;
        }
    }

    // After the first period a `once` coupon no longer applies.
    let recurring_lines: Vec<(usize, &PricedLine)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.recurring.is_some())
        .collect();
    if let Some((_, first)) = recurring_lines.first() {
        let keeps_discount = match discount.map(|d| d.duration) {
            Some(CouponDuration::Once) => in_trial,
            Some(_) => true,
            None => false,
        };
        let later = if keeps_discount {
            line_totals.clone()
        } else {
            price_lines(&subtotals, &vec![0; subtotals.len()], tax)?
        };
        let mut amount = 0i64;
        for (i, _) in &recurring_lines {
            amount = add(amount, later[*i].total)?;
        }
        totals.recurring = first
            .recurring
            .map(|period| RecurringTotal { amount, period });
    }
    Ok(totals)
}

fn add(a: i64, b: i64) -> Result<i64, MoneyError> {
    a.checked_add(b).ok_or(MoneyError::Overflow)
}

/// Each line's share of the discount. Percent: each line's own share, rounded. Amount: the
/// amount (at most the subtotal) spread by subtotal, the remainder to the largest fractions.
fn allocate_discount(
    subtotals: &[i64],
    value: Option<CouponValue>,
) -> Result<Vec<i64>, MoneyError> {
    let Some(value) = value else {
        return Ok(vec![0; subtotals.len()]);
    };
    match value {
        CouponValue::PercentOff(rate) => Ok(subtotals.iter().map(|&s| rate.of(s).min(s)).collect()),
        CouponValue::AmountOff(off) => {
            let total: i128 = subtotals.iter().map(|&s| i128::from(s)).sum();
            if total == 0 {
                return Ok(vec![0; subtotals.len()]);
            }
            let off = i128::from(off.amount.max(0)).min(total);
            let mut shares: Vec<i64> = Vec::with_capacity(subtotals.len());
            let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(subtotals.len());
            for (i, &s) in subtotals.iter().enumerate() {
                let exact = off * i128::from(s);
                shares.push((exact / total) as i64);
                remainders.push((exact % total, i));
            }
            let mut left = off - shares.iter().map(|&s| i128::from(s)).sum::<i128>();
            remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            for (_, i) in remainders {
                if left == 0 {
                    break;
                }
                shares[i] += 1;
                left -= 1;
            }
            Ok(shares)
        }
    }
}

fn price_lines(
    subtotals: &[i64],
    discounts: &[i64],
    tax: Option<TaxTerms>,
) -> Result<Vec<LineTotals>, MoneyError> {
    subtotals
        .iter()
        .zip(discounts)
        .map(|(&subtotal, &discount)| {
            let net = subtotal - discount;
            let (tax_amount, total) = match tax {
                None => (0, net),
                Some(TaxTerms {
                    rate,
                    inclusive: false,
                }) => {
                    let t = rate.of(net);
                    (t, add(net, t)?)
                }
                Some(TaxTerms {
                    rate,
                    inclusive: true,
                }) => {
                    // The tax inside a gross amount: net × r / (1 + r).
                    let r = i128::from(rate.millionths());
                    let t =
                        div_round_half_even(i128::from(net) * r, i128::from(RATE_SCALE) + r) as i64;
                    (t, net)
                }
            };
            Ok(LineTotals {
                subtotal,
                discount,
                tax: tax_amount,
                total,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::RecurringInterval;
    use proptest::prelude::*;

    fn usd() -> Currency {
        Currency::parse("usd").unwrap()
    }

    fn line(amount: i64, quantity: u32) -> PricedLine {
        PricedLine {
            unit_amount: Money::new(amount, usd()),
            quantity,
            recurring: None,
        }
    }

    const MONTH: Recurring = Recurring {
        interval: RecurringInterval::Month,
        interval_count: 1,
    };

    fn monthly(amount: i64) -> PricedLine {
        PricedLine {
            recurring: Some(MONTH),
            ..line(amount, 1)
        }
    }

    fn percent(p: &str, duration: CouponDuration) -> Option<DiscountTerms> {
        Some(DiscountTerms {
            value: CouponValue::PercentOff(Rate::parse_percent(p).unwrap()),
            duration,
        })
    }

    fn amount_off(amount: i64) -> Option<DiscountTerms> {
        Some(DiscountTerms {
            value: CouponValue::AmountOff(Money::new(amount, usd())),
            duration: CouponDuration::Once,
        })
    }

    fn tax(p: &str, inclusive: bool) -> Option<TaxTerms> {
        Some(TaxTerms {
            rate: Rate::parse_percent(p).unwrap(),
            inclusive,
        })
    }

    #[test]
    fn subtotal_is_unit_times_quantity() {
        let t = compute(usd(), &[line(2400, 2), line(100, 3)], None, None, None).unwrap();
        assert_eq!(t.lines[0].subtotal, 4800);
        assert_eq!(
            (t.subtotal, t.discount, t.tax, t.total, t.due_today),
            (5100, 0, 0, 5100, 5100)
        );
        assert_eq!(t.recurring, None);
    }

    #[test]
    fn percent_off_then_exclusive_tax() {
        let t = compute(
            usd(),
            &[line(1000, 1)],
            percent("10", CouponDuration::Once),
            tax("8.875", false),
            None,
        )
        .unwrap();
        // 1000 - 100 = 900; 900 × 8.875% = 79.875 → 80
        assert_eq!(
            (t.subtotal, t.discount, t.tax, t.total),
            (1000, 100, 80, 980)
        );
    }

    #[test]
    fn inclusive_tax_is_inside_the_total() {
        let t = compute(usd(), &[line(1200, 1)], None, tax("20", true), None).unwrap();
        assert_eq!((t.subtotal, t.tax, t.total), (1200, 200, 1200));
        assert!(t.tax_inclusive);
    }

    #[test]
    fn amount_off_is_spread_by_subtotal_and_capped() {
        let t = compute(
            usd(),
            &[line(100, 1), line(200, 1)],
            amount_off(100),
            None,
            None,
        )
        .unwrap();
        // 100 × 1/3 = 33.3, 100 × 2/3 = 66.7: the larger remainder takes the spare cent
        assert_eq!(
            t.lines.iter().map(|l| l.discount).collect::<Vec<_>>(),
            vec![33, 67]
        );
        assert_eq!(t.total, 200);
        let capped = compute(usd(), &[line(500, 1)], amount_off(9_999), None, None).unwrap();
        assert_eq!((capped.discount, capped.total), (500, 0));
    }

    #[test]
    fn a_trial_makes_recurring_lines_free_today() {
        let t = compute(usd(), &[monthly(1500), line(500, 1)], None, None, Some(14)).unwrap();
        assert_eq!(t.total, 2000);
        assert_eq!(t.due_today, 500, "the one-time line is still paid today");
        assert_eq!(
            t.recurring,
            Some(RecurringTotal {
                amount: 1500,
                period: MONTH
            })
        );
    }

    #[test]
    fn a_once_coupon_does_not_follow_into_later_periods() {
        let once = compute(
            usd(),
            &[monthly(1000)],
            percent("50", CouponDuration::Once),
            None,
            None,
        )
        .unwrap();
        assert_eq!(once.due_today, 500);
        assert_eq!(once.recurring.unwrap().amount, 1000);
        let forever = compute(
            usd(),
            &[monthly(1000)],
            percent("50", CouponDuration::Forever),
            None,
            None,
        )
        .unwrap();
        assert_eq!(forever.recurring.unwrap().amount, 500);
    }

    #[test]
    fn currencies_do_not_mix() {
        let eur = PricedLine {
            unit_amount: Money::new(100, Currency::parse("eur").unwrap()),
            ..line(0, 1)
        };
        assert!(matches!(
            compute(usd(), &[line(100, 1), eur], None, None, None),
            Err(MoneyError::CurrencyMismatch(..))
        ));
        assert_eq!(
            compute(usd(), &[line(i64::MAX, 2)], None, None, None),
            Err(MoneyError::Overflow)
        );
    }

    /// An independent oracle for half-even rounding of `amount × millionths / 1_000_000`.
    fn reference_share(amount: i64, millionths: u32) -> i64 {
        let exact = i128::from(amount) * i128::from(millionths);
        let (q, r) = (exact / 1_000_000, exact % 1_000_000);
        let up = r > 500_000 || (r == 500_000 && q % 2 == 1);
        (q + i128::from(up)) as i64
    }

    fn arb_discount() -> impl Strategy<Value = Option<DiscountTerms>> {
        prop_oneof![
            Just(None),
            (0u32..=RATE_SCALE).prop_map(|m| Some(DiscountTerms {
                value: CouponValue::PercentOff(Rate::from_millionths(m)),
                duration: CouponDuration::Forever,
            })),
            (0i64..5_000_000).prop_map(|a| Some(DiscountTerms {
                value: CouponValue::AmountOff(Money::new(a, Currency::parse("usd").unwrap())),
                duration: CouponDuration::Once,
            })),
        ]
    }

    fn arb_tax() -> impl Strategy<Value = Option<TaxTerms>> {
        prop_oneof![
            Just(None),
            (0u32..=500_000, any::<bool>()).prop_map(|(m, inclusive)| Some(TaxTerms {
                rate: Rate::from_millionths(m),
                inclusive
            })),
        ]
    }

    fn arb_lines() -> impl Strategy<Value = Vec<PricedLine>> {
        prop::collection::vec(
            (0i64..10_000_000, 1u32..1_000, any::<bool>()).prop_map(
                |(amount, quantity, recurring)| PricedLine {
                    unit_amount: Money::new(amount, Currency::parse("usd").unwrap()),
                    quantity,
                    recurring: recurring.then_some(MONTH),
                },
            ),
            1..12,
        )
    }

    proptest! {
        #[test]
        fn totals_are_never_negative(lines in arb_lines(), d in arb_discount(), t in arb_tax(), trial in prop::option::of(0u32..30)) {
            let totals = compute(usd(), &lines, d, t, trial).unwrap();
            for l in &totals.lines {
                prop_assert!(l.subtotal >= 0 && l.discount >= 0 && l.tax >= 0 && l.total >= 0);
            }
            prop_assert!(totals.total >= 0 && totals.due_today >= 0 && totals.due_today <= totals.total);
            prop_assert!(totals.recurring.is_none_or(|r| r.amount >= 0));
        }

        #[test]
        fn a_discount_never_exceeds_its_subtotal(lines in arb_lines(), d in arb_discount()) {
            let totals = compute(usd(), &lines, d, None, None).unwrap();
            for l in &totals.lines {
                prop_assert!(l.discount <= l.subtotal);
            }
            prop_assert!(totals.discount <= totals.subtotal);
            if let Some(DiscountTerms { value: CouponValue::AmountOff(off), .. }) = d {
                prop_assert_eq!(totals.discount, off.amount.min(totals.subtotal));
            }
        }

        #[test]
        fn the_parts_add_up_to_the_total(lines in arb_lines(), d in arb_discount(), t in arb_tax()) {
            let totals = compute(usd(), &lines, d, t, None).unwrap();
            let added_tax = if totals.tax_inclusive { 0 } else { totals.tax };
            prop_assert_eq!(totals.subtotal - totals.discount + added_tax, totals.total);
            for l in &totals.lines {
                let added = if totals.tax_inclusive { 0 } else { l.tax };
                prop_assert_eq!(l.subtotal - l.discount + added, l.total);
            }
            prop_assert_eq!(totals.lines.iter().map(|l| l.total).sum::<i64>(), totals.total);
            prop_assert_eq!(totals.lines.iter().map(|l| l.tax).sum::<i64>(), totals.tax);
            prop_assert_eq!(totals.lines.iter().map(|l| l.discount).sum::<i64>(), totals.discount);
        }

        #[test]
        fn rounding_is_half_even_in_minor_units(amount in 0i64..100_000_000, quantity in 1u32..100, m in 0u32..=RATE_SCALE) {
            let percent = Some(DiscountTerms { value: CouponValue::PercentOff(Rate::from_millionths(m)), duration: CouponDuration::Once });
            let totals = compute(usd(), &[line(amount, quantity)], percent, None, None).unwrap();
            prop_assert_eq!(totals.discount, reference_share(amount * i64::from(quantity), m));
            let taxed = compute(usd(), &[line(amount, quantity)], None, Some(TaxTerms { rate: Rate::from_millionths(m), inclusive: false }), None).unwrap();
            prop_assert_eq!(taxed.tax, reference_share(amount * i64::from(quantity), m));
        }
    }
}
