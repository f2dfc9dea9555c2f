//! The overview, checkout sessions (list, detail, expire) and the create form.

// A form's inputs are the server function's arguments, one each, as a plain form posts them.
#![allow(clippy::too_many_arguments)]

use crate::domain::session::SessionStatus;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    /// Sessions created today (UTC), by status.
    pub today: Vec<(SessionStatus, i64)>,
    /// What succeeded payments took in today, per currency, displayed.
    pub revenue_today: Vec<String>,
    pub live: bool,
    /// Webhook endpoints kassa turned off for failing: (id, name or URL, when).
    pub disabled_webhooks: Vec<(String, String, String)>,
    /// The last 30 days, as charts drawn on the server.
    pub charts: Vec<Chart>,
}

/// A chart of the overview: an SVG drawn on the server, and its numbers as a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chart {
    pub title: String,
    /// What it shows, in a sentence.
    pub summary: String,
    pub svg: String,
    /// The table's head and rows.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A session as a row of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRow {
    pub id: String,
    pub status: SessionStatus,
    pub kind: String,
    pub email: Option<String>,
    pub total: Option<String>,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionList {
    pub rows: Vec<SessionRow>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDetail {
    pub row: SessionRow,
    pub mode: String,
    pub url: String,
    /// The link as a QR code, an SVG document.
    pub qr_svg: String,
    pub lines: Vec<DetailLine>,
    pub subtotal: Option<String>,
    pub discount: Option<String>,
    pub tax: Option<String>,
    pub total: Option<String>,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub success_url: Option<String>,
    pub expires: String,
    pub attempts: Vec<AttemptRow>,
    /// (when, what happened), oldest first.
    pub timeline: Vec<(String, String)>,
    pub can_expire: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailLine {
    pub description: String,
    pub quantity: u32,
    pub unit: String,
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRow {
    pub id: String,
    pub status: crate::domain::payment::AttemptStatus,
    pub method: String,
    pub amount: String,
    pub detail: Option<String>,
    pub at: String,
}

/// What the create form offers to choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionChoices {
    /// (price id, label), active prices of active products.
    pub prices: Vec<(String, String)>,
    /// (customer id, label).
    pub customers: Vec<(String, String)>,
    /// (subscription id, label): subscriptions awaiting their first payment, which an
    /// activate-subscription session can start.
    pub subscriptions: Vec<(String, String)>,
}

#[server(name = DashboardOverview, prefix = "/api/dashboard", endpoint = "overview")]
pub async fn dashboard_overview() -> Result<Overview, ServerFnError> {
    use super::ssr::*;
    use crate::domain::money::{Currency, Money};
    let signed = signed_in().await?;
    let store = state().store.clone();
    let org = &signed.principal.organization_id;
    let live = signed.principal.mode.is_live();
    let now = crate::store::now_ms();
    let midnight = now - now.rem_euclid(86_400_000);
    let today = store
        .session_counts_since(org, live, midnight)
        .await
        .map_err(internal)?
        .into_iter()
        .filter_map(|(status, n)| Some((SessionStatus::parse(&status)?, n)))
        .collect();
    let revenue_today = store
        .revenue_since(org, live, midnight)
        .await
        .map_err(internal)?
        .into_iter()
        .filter_map(|(currency, amount)| {
            Some(Money::new(amount, Currency::parse(&currency).ok()?).display())
        })
        .collect();
    let disabled_webhooks = store
        .disabled_webhook_endpoints(org, live)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|w| {
            let label = if w.name.is_empty() { w.url } else { w.name };
            (w.id, label, w.disabled_at.map(when).unwrap_or_default())
        })
        .collect();
    let charts = ssr_charts::last_30_days(&store, org, live, now)
        .await
        .map_err(internal)?;
    Ok(Overview {
        today,
        revenue_today,
        live,
        disabled_webhooks,
        charts,
    })
}

#[cfg(feature = "ssr")]
mod ssr_charts {
    use super::Chart;
    use crate::domain::money::{Currency, Money};
    use crate::service::charts::{self, Bar, DAYS};
    use crate::store::{Store, StoreResult};

    const DAY_MS: i64 = 86_400_000;

    /// `Dec 5` for the day `day` days after the epoch.
    fn label(day: i64) -> String {
        chrono::DateTime::from_timestamp(day * 86_400, 0)
            .map(|d| d.format("%b %-d").to_string())
            .unwrap_or_default()
    }

    fn percent(part: i64, whole: i64) -> String {
        if whole == 0 {
            "no sessions".to_owned()
        } else {
            format!("{} %", (part * 100 + whole / 2) / whole)
        }
    }

    /// Revenue by day (a chart per currency), sessions by day (paid and not), and the share of
    /// the sessions opened that were paid, over the 30 days up to today (UTC).
    pub(super) async fn last_30_days(
        store: &Store,
        org: &str,
        live: bool,
        now: i64,
    ) -> StoreResult<Vec<Chart>> {
        let today = now.div_euclid(DAY_MS);
        let first = today - DAYS as i64 + 1;
        let days: Vec<i64> = (first..=today).collect();
        let since = first * DAY_MS;
        let (from, to) = (label(first), label(today));
        let mut out = Vec::new();

        let revenue = store.revenue_by_day(org, live, since).await?;
        let mut currencies: Vec<String> = revenue.iter().map(|r| r.1.clone()).collect();
        currencies.dedup();
        if currencies.is_empty() {
            currencies.push("usd".to_owned());
        }
        for code in currencies {
            let Ok(currency) = Currency::parse(&code) else {
                continue;
            };
            let shown = |amount: i64| Money::new(amount, currency).display();
            let amount_on = |day: i64| {
                revenue
                    .iter()
                    .find(|r| r.0 == day && r.1 == code)
                    .map_or(0, |r| r.2)
            };
            let total: i64 = days.iter().map(|d| amount_on(*d)).sum();
            let best = days.iter().copied().max_by_key(|d| (amount_on(*d), *d));
            let summary = match best.filter(|d| amount_on(*d) > 0) {
                Some(day) => format!(
                    "{} taken in from {from} to {to}; the most on {} ({}).",
                    shown(total),
                    label(day),
                    shown(amount_on(day))
                ),
                None => format!("Nothing taken in from {from} to {to}."),
            };
            let title = format!("Revenue by day, {}", currency.code());
            let bars: Vec<Bar> = days
                .iter()
                .map(|d| Bar {
                    label: label(*d),
                    parts: vec![(amount_on(*d), "paid", shown(amount_on(*d)))],
                })
                .collect();
            out.push(Chart {
                svg: charts::bars(&format!("revenue-{code}"), &title, &summary, &bars),
                title,
                summary,
                columns: vec!["Day".into(), "Revenue".into()],
                rows: days
                    .iter()
                    .map(|d| vec![label(*d), shown(amount_on(*d))])
                    .collect(),
            });
        }

        let sessions = store.sessions_by_day(org, live, since).await?;
        let on = |day: i64| {
            sessions
                .iter()
                .find(|s| s.0 == day)
                .map_or((0, 0), |s| (s.1, s.2))
        };
        let opened: i64 = sessions.iter().map(|s| s.1).sum();
        let paid: i64 = sessions.iter().map(|s| s.2).sum();
        let summary =
            format!("{opened} checkout sessions opened from {from} to {to}, {paid} of them paid.");
        let title = "Checkout sessions by day".to_owned();
        let bars: Vec<Bar> = days
            .iter()
            .map(|d| {
                let (all, paid) = on(*d);
                Bar {
                    label: label(*d),
                    parts: vec![
                        (paid, "paid", format!("{paid} paid")),
                        (all - paid, "rest", format!("{} not paid", all - paid)),
                    ],
                }
            })
            .collect();
        out.push(Chart {
            svg: charts::bars("sessions", &title, &summary, &bars),
            title,
            summary,
            columns: vec!["Day".into(), "Opened".into(), "Paid".into()],
            rows: days
                .iter()
                .map(|d| {
                    let (all, paid) = on(*d);
                    vec![label(*d), all.to_string(), paid.to_string()]
                })
                .collect(),
        });

        let share = percent(paid, opened);
        let title = "Share of sessions paid".to_owned();
        let summary =
            format!("{paid} of {opened} sessions opened from {from} to {to} were paid: {share}.");
        out.push(Chart {
            svg: charts::share("share", &title, &summary, paid, opened),
            title,
            summary,
            columns: vec!["Opened".into(), "Paid".into(), "Share".into()],
            rows: vec![vec![opened.to_string(), paid.to_string(), share]],
        });
        Ok(out)
    }
}

/// A page of sessions, newest first: `status` filters, `search` is an id or part of an email,
/// `after` is the cursor a previous page gave.
#[server(name = DashboardSessions, prefix = "/api/dashboard", endpoint = "sessions")]
pub async fn dashboard_sessions(
    status: Option<String>,
    search: Option<String>,
    after: Option<String>,
) -> Result<SessionList, ServerFnError> {
    use super::ssr::*;
    use crate::store::PageRequest;
    const PAGE: u32 = 25;
    let signed = signed_in().await?;
    let status = status.as_deref().and_then(SessionStatus::parse);
    let after = after.as_deref().and_then(parse_cursor);
    let page = state()
        .store
        .sessions_matching(
            &signed.principal.organization_id,
            signed.principal.mode.is_live(),
            status,
            search.as_deref(),
            &PageRequest { limit: PAGE, after },
        )
        .await
        .map_err(internal)?;
    let now = crate::store::now_ms();
    let next = next_cursor(&page, |s| (s.created_at, s.id.as_str()));
    Ok(SessionList {
        rows: page.items.iter().map(|s| ssr::row(s, now)).collect(),
        next,
    })
}

#[server(name = DashboardSession, prefix = "/api/dashboard", endpoint = "session")]
pub async fn dashboard_session(id: String) -> Result<SessionDetail, ServerFnError> {
    use super::ssr::*;
    use crate::service::checkout::get_session;
    let signed = signed_in().await?;
    let app = state();
    let session = get_session(&app.store, &signed.principal, &id)
        .await
        .map_err(service_error)?;
    let attempts = app
        .store
        .attempts_of_session(&session.id)
        .await
        .map_err(internal)?;
    Ok(ssr::detail(
        &session,
        &attempts,
        &app.public_base,
        crate::store::now_ms(),
    ))
}

/// Ends an open session now.
#[server(name = DashboardExpireSession, prefix = "/api/dashboard", endpoint = "session/expire")]
pub async fn dashboard_expire_session(id: String) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::service::ServiceError;
    use crate::service::checkout::expire_session;
    let signed = signed_in().await?;
    let page = format!("/dashboard/checkout-sessions/{id}");
    let outcome = match expire_session(
        &state().store,
        &signed.principal,
        &id,
        crate::store::now_ms(),
    )
    .await
    {
        Ok(_) => Ok(page.clone()),
        Err(ServiceError::Conflict(error)) => Err(vec![("form".to_owned(), error.message)]),
        Err(other) => return Err(service_error(other)),
    };
    answer_form(&page, outcome, &[]);
    Ok(())
}

#[server(name = DashboardSessionChoices, prefix = "/api/dashboard", endpoint = "session-choices")]
pub async fn dashboard_session_choices() -> Result<SessionChoices, ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    let store = state().store.clone();
    let org = &signed.principal.organization_id;
    let live = signed.principal.mode.is_live();
    let prices = super::catalog::ssr::price_labels(&store, org, live, true)
        .await
        .map_err(internal)?;
    let customers = store
        .customers(org, live, &crate::store::PageRequest::first(100))
        .await
        .map_err(internal)?
        .items
        .into_iter()
        .filter(|c| !c.archived)
        .map(|c| {
            let label = match (&c.name, &c.email) {
                (Some(n), Some(e)) => format!("{n} <{e}>"),
                (None, Some(e)) => e.clone(),
                (Some(n), None) => n.clone(),
                (None, None) => c.id.clone(),
            };
            (c.id, label)
        })
        .collect::<Vec<_>>();
    let price_names: std::collections::HashMap<String, String> =
        super::catalog::ssr::price_labels(&store, org, live, false)
            .await
            .map_err(internal)?
            .into_iter()
            .collect();
    let subscriptions = store
        .subscriptions(org, live, &crate::store::PageRequest::first(100))
        .await
        .map_err(internal)?
        .items
        .into_iter()
        .filter(|s| s.awaits_activation())
        .map(|s| {
            let who = customers
                .iter()
                .find(|(id, _)| *id == s.customer_id)
                .map_or(s.customer_id.clone(), |(_, label)| label.clone());
            let what = price_names.get(&s.price_id).unwrap_or(&s.price_id);
            (s.id, format!("{who}: {what} ({})", s.status))
        })
        .collect();
    Ok(SessionChoices {
        prices,
        customers,
        subscriptions,
    })
}

/// Creates a session from the dashboard's form: any kind, lines `price[i]`/`quantity[i]` with
/// `adjustable[i]`, an existing customer, a guest's email or nobody, the URLs, a trial, codes,
/// methods `method[card]` ... and an expiry in hours.
#[server(name = DashboardCreateSession, prefix = "/api/dashboard", endpoint = "session/create")]
pub async fn dashboard_create_session(
    kind: Option<String>,
    price: Option<BTreeMap<String, String>>,
    quantity: Option<BTreeMap<String, String>>,
    adjustable: Option<BTreeMap<String, String>>,
    customer: Option<String>,
    guest_email: Option<String>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    trial_period_days: Option<String>,
    allow_promotion_codes: Option<String>,
    method: Option<BTreeMap<String, String>>,
    expires_in_hours: Option<String>,
    target_subscription: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::field::{Field, FieldError};
    use crate::domain::session::SessionKind;
    use crate::domain::session::draft::{
        AdjustableDraft, CustomerDraft, GuestDraft, LineItemDraft, PriceRef, SessionDraft,
    };
    use crate::service::ServiceError;

    let signed = signed_in().await?;
    let now = crate::store::now_ms();
    let mut errors: Vec<FieldError> = Vec::new();
    let kind = match kind.as_deref().unwrap_or("purchase") {
        "add_payment_method" => SessionKind::AddPaymentMethod,
        "activate_subscription" => SessionKind::ActivateSubscription,
        _ => SessionKind::Purchase,
    };
    let mut draft = SessionDraft::new(kind);
    draft.origin = crate::domain::session::Origin::Dashboard;
    let prices = price.clone().unwrap_or_default();
    let quantities = quantity.clone().unwrap_or_default();
    let adjustables = adjustable.clone().unwrap_or_default();
    let mut rows: Vec<(usize, String)> = prices
        .iter()
        .filter(|(_, id)| !id.trim().is_empty())
        .filter_map(|(i, id)| Some((i.parse().ok()?, id.trim().to_owned())))
        .collect();
    rows.sort();
    // The form's rows are numbered; the draft's lines are consecutive. Errors go back to the row.
    let mut row_of_line = Vec::new();
    for (row, id) in rows {
        let quantity = match quantities.get(&row.to_string()).map(|q| q.trim()) {
            None | Some("") => None,
            Some(q) => match q.parse::<i64>() {
                Ok(q) => Some(q),
                Err(_) => {
                    errors.push(FieldError::invalid(
                        Field::LineQuantity(row_of_line.len()),
                        "Enter a whole number.",
                    ));
                    None
                }
            },
        };
        let adjustable = adjustables
            .get(&row.to_string())
            .filter(|v| !v.is_empty())
            .map(|_| AdjustableDraft {
                enabled: true,
                minimum: None,
                maximum: None,
            });
        draft.line_items.push(LineItemDraft {
            price: PriceRef::Id(id),
            quantity,
            adjustable,
        });
        row_of_line.push(row);
    }
    draft.customer = match (
        customer.as_deref().map(str::trim).filter(|c| !c.is_empty()),
        guest_email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty()),
    ) {
        (Some(id), _) => CustomerDraft::Existing(id.to_owned()),
        (None, Some(email)) => CustomerDraft::Guest(Box::new(GuestDraft {
            email: Some(email.to_owned()),
            ..GuestDraft::default()
        })),
        (None, None) => CustomerDraft::Anonymous,
    };
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    // The form always posts the subscription choice; only an activation uses it.
    if kind == SessionKind::ActivateSubscription {
        draft.target_subscription_id = text(&target_subscription);
    }
    draft.success_url = text(&success_url);
    draft.cancel_url = text(&cancel_url);
    draft.allow_promotion_codes = allow_promotion_codes
        .as_deref()
        .is_some_and(|v| !v.is_empty());
    match text(&trial_period_days).map(|d| d.parse::<i64>()) {
        None => {}
        Some(Ok(days)) => draft.trial_period_days = Some(days),
        Some(Err(_)) => errors.push(FieldError::invalid(
            Field::TrialPeriodDays,
            "Enter a whole number of days.",
        )),
    }
    let methods: Vec<String> = method
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, on)| !on.is_empty())
        .map(|(m, _)| m)
        .collect();
    if !methods.is_empty() {
        draft.payment_method_types = Some(methods);
    }
    match text(&expires_in_hours).map(|h| h.parse::<i64>()) {
        None => {}
        Some(Ok(hours)) if (1..=24 * 30).contains(&hours) => {
            draft.expires_at = Some(now + hours * 3_600_000)
        }
        Some(_) => errors.push(FieldError::invalid(
            Field::ExpiresAt,
            "Enter between 1 and 720 hours.",
        )),
    }

    let outcome = if !errors.is_empty() {
        Err(errors)
    } else {
        match crate::service::checkout::create_session(
            &state().store,
            &signed.principal,
            draft,
            now,
            None,
        )
        .await
        {
            Ok(session) => Ok(format!("/dashboard/checkout-sessions/{}", session.id)),
            Err(ServiceError::Invalid(errors)) => Err(errors),
            Err(ServiceError::Conflict(error)) => Err(vec![error]),
            Err(other) => return Err(service_error(other)),
        }
    };
    let input_of = |field: &Field| {
        Some(match field {
            Field::LinePrice(i) => format!("price[{}]", row_of_line.get(*i).unwrap_or(i)),
            Field::LineQuantity(i)
            | Field::LineAdjustableMinimum(i)
            | Field::LineAdjustableMaximum(i) => {
                format!("quantity[{}]", row_of_line.get(*i).unwrap_or(i))
            }
            Field::LineItems => "price[0]".to_owned(),
            Field::Customer => "customer".to_owned(),
            Field::CustomerEmail | Field::CustomerName => "guest_email".to_owned(),
            Field::ExpiresAt => "expires_in_hours".to_owned(),
            Field::PaymentMethodTypes => "method".to_owned(),
            Field::TargetSubscription => "target_subscription".to_owned(),
            other => other.to_string(),
        })
    };
    let mut typed: Vec<(String, Option<String>)> = vec![
        ("kind".into(), kind_value(kind)),
        ("customer".into(), customer.clone()),
        ("guest_email".into(), guest_email.clone()),
        ("target_subscription".into(), target_subscription.clone()),
        ("success_url".into(), success_url.clone()),
        ("cancel_url".into(), cancel_url.clone()),
        ("trial_period_days".into(), trial_period_days.clone()),
        (
            "allow_promotion_codes".into(),
            allow_promotion_codes.clone(),
        ),
        ("expires_in_hours".into(), expires_in_hours.clone()),
    ];
    for (i, id) in &prices {
        typed.push((format!("price[{i}]"), Some(id.clone())));
    }
    for (i, q) in &quantities {
        typed.push((format!("quantity[{i}]"), Some(q.clone())));
    }
    for (i, a) in &adjustables {
        typed.push((format!("adjustable[{i}]"), Some(a.clone())));
    }
    for (m, on) in method.unwrap_or_default() {
        typed.push((format!("method[{m}]"), Some(on)));
    }
    let typed: Vec<(&str, &Option<String>)> = typed.iter().map(|(k, v)| (k.as_str(), v)).collect();
    answer_form(
        "/dashboard/checkout-sessions/new",
        outcome.map_err(|errors| by_input(errors, input_of)),
        &typed,
    );
    Ok(())
}

#[cfg(feature = "ssr")]
fn kind_value(kind: crate::domain::session::SessionKind) -> Option<String> {
    Some(kind.as_str().to_owned())
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::{AttemptRow, DetailLine, SessionDetail, SessionRow};
    use crate::domain::money::Money;
    use crate::domain::payment::AttemptStatus;
    use crate::domain::session::{CheckoutSession, SessionStatus};
    use crate::server_fns::dashboard::ssr::when;
    use crate::store::AttemptRecord;

    fn money(session: &CheckoutSession, amount: i64) -> Option<String> {
        session.currency.map(|c| Money::new(amount, c).display())
    }

    pub fn row(s: &CheckoutSession, now: i64) -> SessionRow {
        SessionRow {
            id: s.id.clone(),
            status: s.effective_status(now),
            kind: s.kind.as_str().to_owned(),
            email: s
                .customer_email
                .clone()
                .or_else(|| s.guest.as_ref().map(|g| g.email.clone())),
            total: money(s, s.amounts.total),
            created: when(s.created_at),
        }
    }

    pub fn detail(
        s: &CheckoutSession,
        attempts: &[AttemptRecord],
        public_base: &str,
        now: i64,
    ) -> SessionDetail {
        let url = format!("{public_base}/checkout/{}", s.id);
        let qr_svg = qrcode::QrCode::new(url.as_bytes())
            .map(|code| {
                code.render::<qrcode::render::svg::Color<'_>>()
                    .min_dimensions(160, 160)
                    .build()
            })
            .unwrap_or_default();
        let lines = s
            .line_items
            .iter()
            .map(|l| DetailLine {
                description: l.description.clone(),
                quantity: l.quantity,
                unit: l.unit_amount.display(),
                amount: l
                    .unit_amount
                    .checked_mul(l.quantity)
                    .map(|m| m.display())
                    .unwrap_or_default(),
            })
            .collect();
        let attempt_rows: Vec<AttemptRow> = attempts
            .iter()
            .map(|a| AttemptRow {
                id: a.id.clone(),
                status: a.status,
                method: a.payment_method_type.clone(),
                amount: a
                    .currency
                    .as_deref()
                    .and_then(|c| crate::domain::money::Currency::parse(c).ok())
                    .map(|c| Money::new(a.amount, c).display())
                    .unwrap_or_default(),
                detail: a.decline_message.clone(),
                at: when(a.created_at),
            })
            .collect();
        let mut timeline: Vec<(i64, String)> = vec![(s.created_at, "Session created".to_owned())];
        for a in attempts {
            timeline.push((
                a.created_at,
                format!("Payment attempt {} ({})", a.id, a.payment_method_type),
            ));
            let outcome = match a.status {
                AttemptStatus::Succeeded => Some("Payment succeeded".to_owned()),
                AttemptStatus::Declined => Some(format!(
                    "Payment declined: {}",
                    a.decline_message.as_deref().unwrap_or("declined")
                )),
                AttemptStatus::Failed => Some("Payment failed".to_owned()),
                AttemptStatus::Processing => Some("Payment processing".to_owned()),
                AttemptStatus::RequiresAction => {
                    Some("Waiting for the buyer to authenticate".to_owned())
                }
                AttemptStatus::Charging => Some("Payment being charged".to_owned()),
                AttemptStatus::Canceled => Some("Payment replaced by a newer one".to_owned()),
                AttemptStatus::Refunded => {
                    Some("Payment refunded: the session had ended".to_owned())
                }
                AttemptStatus::Created => None,
            };
            if let Some(outcome) = outcome.filter(|_| a.updated_at >= a.created_at) {
                timeline.push((a.updated_at, outcome));
            }
        }
        let status = s.effective_status(now);
        match status {
            SessionStatus::Succeeded => timeline.push((
                s.completed_at.unwrap_or(s.updated_at),
                "Session succeeded".to_owned(),
            )),
            SessionStatus::Failed => timeline.push((s.updated_at, "Session failed".to_owned())),
            SessionStatus::Expired => timeline.push((
                if s.status == SessionStatus::Expired {
                    s.updated_at
                } else {
                    s.expires_at
                },
                "Session expired".to_owned(),
            )),
            SessionStatus::Open | SessionStatus::Pending => {}
        }
        timeline.sort_by_key(|(at, _)| *at);
        SessionDetail {
            row: row(s, now),
            mode: s.mode.as_str().to_owned(),
            url,
            qr_svg,
            lines,
            subtotal: money(s, s.amounts.subtotal),
            discount: (s.amounts.discount != 0)
                .then(|| money(s, -s.amounts.discount))
                .flatten(),
            tax: (s.amounts.tax != 0)
                .then(|| money(s, s.amounts.tax))
                .flatten(),
            total: money(s, s.amounts.total),
            customer_id: s.customer_id.clone(),
            customer_name: s.customer_name.clone(),
            success_url: s.success_url.clone(),
            expires: when(s.expires_at),
            attempts: attempt_rows,
            timeline: timeline
                .into_iter()
                .map(|(at, what)| (when(at), what))
                .collect(),
            can_expire: status == SessionStatus::Open,
        }
    }
}
