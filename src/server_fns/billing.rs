//! The buyer's page, `/billing/{token}`: a signed link's customer sees their subscriptions (and
//! ends one at its period's end, or keeps it running), their invoices, and their card (and
//! changes it, on a hosted checkout that saves a new one for every subscription). Each form
//! answers a redirect back to the page, so that it works with and without JavaScript.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingView {
    pub token: String,
    pub merchant_name: String,
    pub accent_color: Option<String>,
    pub livemode: bool,
    pub email: Option<String>,
    pub subscriptions: Vec<BillingSubscription>,
    pub invoices: Vec<BillingInvoice>,
    /// `Visa •••• 4242, expires 12/2034`
    pub card: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingSubscription {
    pub id: String,
    pub description: String,
    /// `$15.00 / month`
    pub price: Option<String>,
    pub status: String,
    /// `Renews on 5 January 2027`, `Ends on …`, `Trial ends on …`, `Canceled`
    pub next: String,
    /// What the buyer may do: `cancel`, `resume`, or nothing.
    pub action: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingInvoice {
    pub number: String,
    pub date: String,
    pub total: String,
    pub status: String,
}

/// The page of the buyer `token` is for; `None` when the link is not valid (forged, expired).
#[server(name = BillingPage, prefix = "/api", endpoint = "billing/page")]
pub async fn billing_page(token: String) -> Result<Option<BillingView>, ServerFnError> {
    let state = expect_context::<crate::state::AppState>();
    ssr::view(&state, &token, crate::store::now_ms())
        .await
        .map_err(|error| {
            tracing::error!(%error, "reading a buyer's page");
            ServerFnError::new("This page cannot be shown right now.")
        })
}

/// Ends the buyer's subscription at the end of its period.
#[server(name = BillingCancel, prefix = "/api", endpoint = "billing/cancel")]
pub async fn billing_cancel(token: String, subscription: String) -> Result<(), ServerFnError> {
    ssr::change(&token, &subscription, true).await
}

/// Keeps running a subscription the buyer had ended at its period's end.
#[server(name = BillingResume, prefix = "/api", endpoint = "billing/resume")]
pub async fn billing_resume(token: String, subscription: String) -> Result<(), ServerFnError> {
    ssr::change(&token, &subscription, false).await
}

/// Sends the buyer to a hosted checkout that saves a new card for every subscription, and back.
#[server(name = BillingChangeCard, prefix = "/api", endpoint = "billing/card")]
pub async fn billing_change_card(token: String) -> Result<(), ServerFnError> {
    ssr::change_card(&token).await
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::{BillingInvoice, BillingSubscription, BillingView};
    use crate::domain::money::{Currency, Money};
    use crate::domain::session::SessionKind;
    use crate::domain::session::draft::{CustomerDraft, SessionDraft};
    use crate::service::mail::long_date as date;
    use crate::service::portal::{self, Buyer};
    use crate::service::subscriptions::{self, CancelTiming};
    use crate::service::{ServiceError, ServiceResult};
    use crate::state::AppState;
    use leptos::prelude::*;

    fn money(amount: i64, currency: &str) -> String {
        Currency::parse(currency)
            .map(|c| Money::new(amount, c).display())
            .unwrap_or_else(|_| format!("{amount} {currency}"))
    }

    pub async fn view(
        state: &AppState,
        token: &str,
        now: i64,
    ) -> ServiceResult<Option<BillingView>> {
        let Some(buyer) = portal::open(&state.store, token, now).await? else {
            return Ok(None);
        };
        let store = &state.store;
        let c = &buyer.customer;
        let (org, live) = (c.organization_id.as_str(), c.livemode);
        let crate::store::Storefront {
            merchant_name,
            branding,
        } = store.storefront(org).await?;
        let mut subscriptions = Vec::new();
        for record in store
            .subscriptions_of_customer(org, live, &c.id, 20)
            .await?
        {
            let s = subscriptions::with_items(store, record).await?;
            let r = &s.record;
            let description = s
                .items
                .iter()
                .map(|(item, price)| {
                    let name = price.name.clone().unwrap_or_else(|| "Subscription".into());
                    if item.quantity > 1 {
                        format!("{name} × {}", item.quantity)
                    } else {
                        name
                    }
                })
                .collect::<Vec<_>>()
                .join(" + ");
            let price = s
                .items
                .first()
                .zip(s.period_amount())
                .map(|((_, price), total)| {
                    let every = price
                        .to_domain()
                        .ok()
                        .and_then(|p| p.recurring)
                        .map(|r| r.describe())
                        .unwrap_or_default();
                    format!("{} / {every}", total.display())
                });
            let (next, action) = match (r.status.as_str(), r.cancel_scheduled_at) {
                ("canceled", _) => ("Canceled".to_owned(), None),
                ("unpaid" | "incomplete", _) => ("Not paid".to_owned(), None),
                (_, Some(at)) => (format!("Ends on {}", date(at)), Some("resume".to_owned())),
                ("trialing", None) => (
                    format!("Trial ends on {}", date(r.trial_end.unwrap_or_default())),
                    Some("cancel".to_owned()),
                ),
                (_, None) => (
                    format!(
                        "Renews on {}",
                        date(r.current_period_end.unwrap_or_default())
                    ),
                    Some("cancel".to_owned()),
                ),
            };
            subscriptions.push(BillingSubscription {
                id: r.id.clone(),
                description: if description.is_empty() {
                    r.name.clone().unwrap_or_else(|| "Subscription".into())
                } else {
                    description
                },
                price,
                status: r.status.clone(),
                next,
                action,
            });
        }
        let invoices = store
            .invoices_of_customer(org, live, &c.id, 24)
            .await?
            .into_iter()
            .map(|i| BillingInvoice {
                number: i.invoice_number,
                date: date(i.invoice_date),
                total: money(i.total, &i.currency),
                status: i.status,
            })
            .collect();
        let card = store
            .payment_methods_of_customer(org, live, &c.id, 20)
            .await?
            .into_iter()
            .find(|m| m.is_default)
            .map(|m| {
                let name = m
                    .brand
                    .clone()
                    .or(m.bank_name.clone())
                    .unwrap_or_else(|| "Card".into());
                match (m.exp_month, m.exp_year) {
                    (Some(month), Some(year)) => {
                        format!("{name} •••• {}, expires {month:02}/{year}", m.last4)
                    }
                    _ => format!("{name} •••• {}", m.last4),
                }
            });
        Ok(Some(BillingView {
            token: token.to_owned(),
            merchant_name,
            accent_color: branding.accent_color,
            livemode: live,
            email: c.email.clone(),
            subscriptions,
            invoices,
            card,
        }))
    }

    /// The buyer of `token`, or a redirect to the page (which says the link is not valid).
    async fn buyer(state: &AppState, token: &str) -> Result<Option<Buyer>, ServerFnError> {
        let buyer = portal::open(&state.store, token, crate::store::now_ms())
            .await
            .map_err(|e| ServerFnError::new(e.to_string()))?;
        if buyer.is_none() {
            leptos_axum::redirect(&page(token, None));
        }
        Ok(buyer)
    }

    fn page(token: &str, done: Option<&str>) -> String {
        let token: String = token
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .collect();
        match done {
            Some(done) => format!("/billing/{token}?done={done}"),
            None => format!("/billing/{token}"),
        }
    }

    pub async fn change(token: &str, id: &str, cancel: bool) -> Result<(), ServerFnError> {
        let state = expect_context::<AppState>();
        let Some(buyer) = buyer(&state, token).await? else {
            return Ok(());
        };
        let now = crate::store::now_ms();
        let done = match buyer.subscription(&state.store, id).await {
            Err(ServiceError::NotFound(_)) => "not_found",
            Err(e) => return Err(ServerFnError::new(e.to_string())),
            Ok(_) if cancel => {
                match subscriptions::cancel_subscription(
                    &state.store,
                    &buyer.principal,
                    id,
                    CancelTiming::AtPeriodEnd,
                    now,
                )
                .await
                {
                    Ok(_) => "canceled",
                    Err(ServiceError::Store(e)) => return Err(ServerFnError::new(e.to_string())),
                    Err(_) => "refused",
                }
            }
            Ok(_) => {
                match subscriptions::uncancel_subscription(&state.store, &buyer.principal, id, now)
                    .await
                {
                    Ok(_) => "resumed",
                    Err(ServiceError::Store(e)) => return Err(ServerFnError::new(e.to_string())),
                    Err(_) => "refused",
                }
            }
        };
        leptos_axum::redirect(&page(token, Some(done)));
        Ok(())
    }

    pub async fn change_card(token: &str) -> Result<(), ServerFnError> {
        let state = expect_context::<AppState>();
        let Some(buyer) = buyer(&state, token).await? else {
            return Ok(());
        };
        let back = format!("{}{}", state.public_base, page(token, None));
        let mut draft = SessionDraft::new(SessionKind::AddPaymentMethod);
        draft.origin = crate::domain::session::Origin::Portal;
        draft.customer = CustomerDraft::Existing(buyer.customer.id.clone());
        draft.automatically_update_subscriptions = Some(true);
        draft.success_url = Some(format!(
            "{}{}",
            state.public_base,
            page(token, Some("card"))
        ));
        draft.cancel_url = Some(back);
        let now = crate::store::now_ms();
        let session = crate::service::checkout::create_session(
            &state.store,
            &buyer.principal,
            draft,
            now,
            None,
        )
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
        leptos_axum::redirect(&format!("/checkout/{}", session.id));
        Ok(())
    }
}
