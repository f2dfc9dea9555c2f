//! Customers, and what each has bought: purchases, subscriptions, invoices, payment methods.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerList {
    pub rows: Vec<CustomerRow>,
    /// The cursor of the next (older) page.
    pub next: Option<String>,
}

/// One line of a customer's history: what it is, its state, its amount and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub id: String,
    pub what: String,
    pub status: String,
    pub amount: Option<String>,
    pub at: String,
    /// What the dashboard offers to do with it: `refund` (a payment with something left to
    /// give back), `cancel` (a subscription that bills), `uncancel` (one whose ending is
    /// scheduled).
    #[serde(default)]
    pub actions: Vec<String>,
}

/// A mail sent (or kept) to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailRow {
    pub id: String,
    pub subject: String,
    pub recipient: String,
    /// pending, sent, kept or failed
    pub status: String,
    pub at: String,
    /// What it says, in test mode (where mail without an SMTP server is kept to be read here).
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDetail {
    pub row: CustomerRow,
    /// E.164, as a checkout collected it.
    pub phone: Option<String>,
    /// The billing address, one line each, when more than a country is known.
    pub billing_address: Option<Vec<String>>,
    /// Where their orders ship: the name, then the address's lines.
    pub shipping: Option<Vec<String>>,
    pub purchases: Vec<HistoryRow>,
    pub subscriptions: Vec<HistoryRow>,
    pub invoices: Vec<HistoryRow>,
    pub payments: Vec<HistoryRow>,
    pub payment_methods: Vec<HistoryRow>,
    pub mails: Vec<MailRow>,
}

/// A page of customers, newest first; `after` is the cursor a previous page gave.
#[server(name = DashboardCustomers, prefix = "/api/dashboard", endpoint = "customers")]
pub async fn dashboard_customers(after: Option<String>) -> Result<CustomerList, ServerFnError> {
    use super::ssr::*;
    use crate::store::PageRequest;
    const PAGE: u32 = 25;
    let signed = signed_in().await?;
    let page = state()
        .store
        .customers(
            &signed.principal.organization_id,
            signed.principal.mode.is_live(),
            &PageRequest {
                limit: PAGE,
                after: after.as_deref().and_then(parse_cursor),
            },
        )
        .await
        .map_err(internal)?;
    let next = next_cursor(&page, |c| (c.created_at, c.id.as_str()));
    Ok(CustomerList {
        rows: page.items.iter().map(ssr::row).collect(),
        next,
    })
}

/// One customer of the signed-in organization and mode, with their history (the latest 50 of
/// each kind).
#[server(name = DashboardCustomer, prefix = "/api/dashboard", endpoint = "customer")]
pub async fn dashboard_customer(id: String) -> Result<CustomerDetail, ServerFnError> {
    use super::ssr::*;
    const LATEST: i64 = 50;
    let signed = signed_in().await?;
    let store = state().store.clone();
    let (org, live) = (
        signed.principal.organization_id.as_str(),
        signed.principal.mode.is_live(),
    );
    let customer = store
        .customer(org, live, &id)
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    let purchases = store
        .purchases_of_customer(org, live, &id, LATEST)
        .await
        .map_err(internal)?;
    let subscriptions = store
        .subscriptions_of_customer(org, live, &id, LATEST)
        .await
        .map_err(internal)?;
    let invoices = store
        .invoices_of_customer(org, live, &id, LATEST)
        .await
        .map_err(internal)?;
    let methods = store
        .payment_methods_of_customer(org, live, &id, LATEST)
        .await
        .map_err(internal)?;
    let payments = store
        .payments_of_customer(org, live, &id, LATEST)
        .await
        .map_err(internal)?;
    let mails = store
        .mails_of_customer(org, live, &id, LATEST)
        .await
        .map_err(internal)?;
    let subscription_ids: Vec<&str> = subscriptions.iter().map(|s| s.id.as_str()).collect();
    let items = store
        .subscription_items(&subscription_ids)
        .await
        .map_err(internal)?;
    let price_labels: std::collections::HashMap<String, String> =
        super::catalog::ssr::price_labels(&store, org, live, false)
            .await
            .map_err(internal)?
            .into_iter()
            .collect();
    Ok(CustomerDetail {
        row: ssr::row(&customer),
        phone: customer.phone.clone(),
        billing_address: customer
            .billing_address()
            .filter(|a| a.line1.is_some())
            .map(|a| crate::domain::address::envelope_lines(&a)),
        shipping: customer.shipping().map(|s| {
            let mut lines = vec![s.name.clone()];
            lines.extend(crate::domain::address::envelope_lines(&s.address));
            lines
        }),
        purchases: purchases
            .iter()
            .map(|p| ssr::purchase(p, &price_labels))
            .collect(),
        subscriptions: subscriptions
            .iter()
            .map(|s| {
                let items: Vec<_> = items.iter().filter(|i| i.subscription_id == s.id).collect();
                ssr::subscription(s, &items, &price_labels)
            })
            .collect(),
        invoices: invoices.iter().map(ssr::invoice).collect(),
        payments: payments.iter().map(ssr::payment).collect(),
        payment_methods: methods.iter().map(ssr::payment_method).collect(),
        mails: mails
            .into_iter()
            .map(|m| MailRow {
                subject: m
                    .subject
                    .unwrap_or_else(|| format!("({}, not written yet)", m.kind)),
                recipient: m.recipient,
                status: m.status,
                at: when(m.sent_at.unwrap_or(m.created_at)),
                text: m.text_body.filter(|_| !live),
                id: m.id,
            })
            .collect(),
    })
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::{CustomerRow, HistoryRow};
    use crate::domain::card::CardBrand;
    use crate::domain::money::{Currency, Money};
    use crate::server_fns::dashboard::ssr::when;
    use crate::store::{
        CustomerRecord, InvoiceRecord, PaymentMethodRecord, PaymentRecord, PurchaseRecord,
        SubscriptionItemRecord, SubscriptionRecord,
    };
    use std::collections::HashMap;

    fn money(amount: i64, currency: &str) -> Option<String> {
        Some(Money::new(amount, Currency::parse(currency).ok()?).display())
    }

    pub fn row(c: &CustomerRecord) -> CustomerRow {
        CustomerRow {
            id: c.id.clone(),
            name: c.name.clone(),
            email: c.email.clone(),
            external_id: c.external_id.clone(),
            created: when(c.created_at),
        }
    }

    pub fn purchase(p: &PurchaseRecord, prices: &HashMap<String, String>) -> HistoryRow {
        let mut what = match prices.get(&p.price_id) {
            Some(price) => format!("{} ({price})", p.name),
            None => p.name.clone(),
        };
        if p.quantity > 1 {
            what = format!("{what} × {}", p.quantity);
        }
        HistoryRow {
            id: p.id.clone(),
            what,
            status: p.status.clone(),
            amount: None,
            at: when(p.purchase_date),
            actions: Vec::new(),
        }
    }

    /// A subscription: what it charges for (each item, with its quantity), what that comes to
    /// each period, and when it next renews or its trial ends.
    pub fn subscription(
        s: &SubscriptionRecord,
        items: &[&SubscriptionItemRecord],
        prices: &HashMap<String, String>,
    ) -> HistoryRow {
        let label = |price_id: &String, quantity: i32| {
            let price = prices.get(price_id).cloned().unwrap_or(price_id.clone());
            if quantity > 1 {
                format!("{price} × {quantity}")
            } else {
                price
            }
        };
        let sold = if items.is_empty() {
            label(&s.price_id, s.quantity)
        } else {
            items
                .iter()
                .map(|i| label(&i.price_id, i.quantity))
                .collect::<Vec<_>>()
                .join(" + ")
        };
        let mut what = s
            .name
            .clone()
            .map_or(sold.clone(), |n| format!("{n} ({sold})"));
        if let Some(end) = s.trial_end.filter(|_| s.status == "trialing") {
            what = format!("{what}; trial ends {}", when(end));
        } else if let Some(end) = s.current_period_end {
            what = format!("{what}; renews {}", when(end));
        }
        // Each period's charge, when every item is in one currency (as a checkout makes them).
        let amount =
            crate::service::subscriptions::period_amount(items.iter().copied()).map(Money::display);
        HistoryRow {
            id: s.id.clone(),
            what,
            status: s.status.clone(),
            amount,
            at: when(s.created_at),
            actions: match s.status.as_str() {
                "canceled" => Vec::new(),
                _ if s.cancel_scheduled_at.is_some() => vec!["uncancel".to_owned()],
                _ => vec!["cancel".to_owned()],
            },
        }
    }

    /// A payment: what it paid for, its amount (and what was refunded of it).
    pub fn payment(p: &PaymentRecord) -> HistoryRow {
        let left = p.amount - p.refunded_amount;
        let mut amount = money(p.amount, &p.currency);
        if p.refunded_amount > 0 {
            amount = amount.map(|a| {
                let refunded = money(p.refunded_amount, &p.currency).unwrap_or_default();
                format!("{a} ({refunded} refunded)")
            });
        }
        let status = if p.status == "succeeded" && left == 0 && p.amount > 0 {
            "refunded".to_owned()
        } else {
            p.status.clone()
        };
        let card = p
            .card_last4
            .as_ref()
            .map(|l| format!(" · {} •••• {l}", p.card_brand.clone().unwrap_or_default()))
            .unwrap_or_default();
        HistoryRow {
            id: p.id.clone(),
            what: format!(
                "{}{card}",
                p.description
                    .clone()
                    .unwrap_or_else(|| "Payment".to_owned())
            ),
            status,
            amount,
            at: when(p.created_at),
            actions: if p.status == "succeeded" && left > 0 {
                vec!["refund".to_owned()]
            } else {
                Vec::new()
            },
        }
    }

    pub fn invoice(i: &InvoiceRecord) -> HistoryRow {
        HistoryRow {
            id: i.id.clone(),
            what: format!("Invoice {}", i.invoice_number),
            status: i.status.clone(),
            amount: money(i.total, &i.currency),
            at: when(i.invoice_date),
            actions: Vec::new(),
        }
    }

    pub fn payment_method(m: &PaymentMethodRecord) -> HistoryRow {
        let name = match (&m.brand, &m.bank_name) {
            (Some(brand), _) => brand_name(brand),
            (None, Some(bank)) => bank.clone(),
            (None, None) => m.method_type.replace('_', " "),
        };
        let mut what = format!("{name} •••• {}", m.last4);
        if let (Some(month), Some(year)) = (m.exp_month, m.exp_year) {
            what = format!("{what}, expires {month:02}/{}", year % 100);
        }
        HistoryRow {
            id: m.id.clone(),
            what,
            status: if m.is_default { "default" } else { "saved" }.to_owned(),
            amount: None,
            at: when(m.created_at),
            actions: Vec::new(),
        }
    }

    /// The brand as buyers know it ("Visa"), from the name kassa stores ("visa").
    fn brand_name(brand: &str) -> String {
        serde_json::from_value::<CardBrand>(serde_json::Value::String(brand.to_owned()))
            .map(|b| b.display_name().to_owned())
            .unwrap_or_else(|_| brand.to_owned())
    }
}
