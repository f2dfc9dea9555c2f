//! Customers: the list, and a customer's page with everything they bought.

use super::{form_action, form_error, me_resource, page, query, visits};
use crate::server_fns::dashboard::{
    CustomerDetail, CustomerList, DashboardCancelSubscription, DashboardRefundPayment,
    DashboardUncancelSubscription, HistoryRow, MailRow, dashboard_customer, dashboard_customers,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn CustomersPage() -> impl IntoView {
    let me = me_resource();
    let q = use_query_map();
    let visits = visits();
    let data = Resource::new(
        move || (q.read().get("after"), visits()),
        |(after, _)| dashboard_customers(after),
    );
    view! {
        <Title text="Customers" />
        {page(me, data, |data| match data {
            Ok(list) => list_view(list).into_any(),
            Err(e) => super::failed(&e, "list"),
        })}
    }
}

fn list_view(list: CustomerList) -> impl IntoView {
    let empty = list.rows.is_empty();
    let next = list
        .next
        .map(|after| format!("/dashboard/customers?after={after}"));
    view! {
        <h1>"Customers"</h1>
        {if empty {
            view! {
                <p class="hint">"No customers in this mode yet. A customer appears when a buyer pays or saves a payment method, or when your backend creates one through the API."</p>
            }.into_any()
        } else {
            view! {
                <table class="list">
                    <thead><tr><th>"Customer"</th><th>"Email"</th><th>"Your id"</th><th>"Created"</th></tr></thead>
                    <tbody>
                        {list.rows.into_iter().map(|c| {
                            let href = format!("/dashboard/customers/{}", c.id);
                            let label = c.name.clone().unwrap_or_else(|| c.id.clone());
                            view! {
                                <tr data-customer=c.id>
                                    <td><a href=href>{label}</a></td>
                                    <td>{c.email.unwrap_or_default()}</td>
                                    <td class="mono">{c.external_id.unwrap_or_default()}</td>
                                    <td class="hint">{c.created}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        {next.map(|href| view! { <p><a href=href rel="next">"Older customers →"</a></p> })}
    }
}

#[component]
pub fn CustomerPage() -> impl IntoView {
    let me = me_resource();
    let params = use_params_map();
    let visits = visits();
    let data = Resource::new(
        move || (params.read().get("id").unwrap_or_default(), visits()),
        |(id, _)| dashboard_customer(id),
    );
    view! {
        <Title text="Customer" />
        {page(me, data, |data| match data {
            Ok(detail) => detail_view(detail).into_any(),
            Err(e) => super::failed(&e, "customer"),
        })}
    }
}

/// The forms a customer's page offers on its rows, one action each.
#[derive(Clone, Copy)]
struct RowActions {
    refund: ServerAction<DashboardRefundPayment>,
    cancel: ServerAction<DashboardCancelSubscription>,
    uncancel: ServerAction<DashboardUncancelSubscription>,
}

fn detail_view(d: CustomerDetail) -> impl IntoView {
    let actions = RowActions {
        refund: form_action::<DashboardRefundPayment>(),
        cancel: form_action::<DashboardCancelSubscription>(),
        uncancel: form_action::<DashboardUncancelSubscription>(),
    };
    let q = query();
    let notice = if q.get("refunded").is_some() {
        Some("Refunded.")
    } else if q.get("saved").is_some() {
        Some("Saved.")
    } else {
        None
    };
    let customer = d.row.id.clone();
    let title = d
        .row
        .name
        .clone()
        .or(d.row.email.clone())
        .unwrap_or(d.row.id.clone());
    view! {
        <p><a href="/dashboard/customers">"← Customers"</a></p>
        <h1>{title}</h1>
        {notice.map(|n| view! { <p class="banner ok" role="status">{n}</p> })}
        {form_error(&q)}
        <section class="panel">
            <dl class="facts">
                <dt>"Id"</dt><dd class="mono">{d.row.id}</dd>
                <dt>"Email"</dt><dd>{d.row.email.unwrap_or_else(|| "—".into())}</dd>
                <dt>"Your id"</dt><dd class="mono">{d.row.external_id.unwrap_or_else(|| "—".into())}</dd>
                {d.phone.map(|p| view! { <dt>"Phone"</dt><dd class="mono">{p}</dd> })}
                {d.billing_address.map(|lines| view! { <dt>"Billing address"</dt><dd><address>{lines.join(", ")}</address></dd> })}
                {d.shipping.map(|lines| view! { <dt>"Ships to"</dt><dd><address>{lines.join(", ")}</address></dd> })}
                <dt>"Created"</dt><dd>{d.row.created}</dd>
            </dl>
        </section>
        {history("Purchases", "purchases", "No purchases yet.", d.purchases, None)}
        {history("Subscriptions", "subscriptions", "No subscriptions.", d.subscriptions, Some((&customer, actions)))}
        {history("Payments", "payments", "No payments yet.", d.payments, Some((&customer, actions)))}
        {history("Invoices", "invoices", "No invoices yet.", d.invoices, None)}
        {history("Payment methods", "payment-methods", "No saved payment methods.", d.payment_methods, None)}
        {mail_list(d.mails)}
    }
}

/// The mail the customer was sent: receipts, failed renewals, trials ending. In test mode each
/// can be read here (without an SMTP server it is kept, not sent).
fn mail_list(mails: Vec<MailRow>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="mail">
            <h2 id="mail">"Mail"</h2>
            {if mails.is_empty() {
                view! { <p class="hint">"No mail yet: receipts, failed renewals and trials about to end are mailed to the buyer."</p> }.into_any()
            } else {
                view! {
                    <ul class="mails">
                        {mails.into_iter().map(|m| view! {
                            <li data-mail=m.id>
                                <span class=format!("status {}", m.status)>{m.status.clone()}</span>
                                " "<strong>{m.subject}</strong>
                                <span class="hint">{format!(" to {} · {}", m.recipient, m.at)}</span>
                                {m.text.map(|text| view! {
                                    <details><summary>"Read it"</summary><pre class="mail-text">{text}</pre></details>
                                })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// The forms for what can be done with a row (refund a payment, end a subscription or call
/// that off); each posts to its server function and comes back to this page.
fn row_actions(customer: &str, row: &HistoryRow, forms: RowActions) -> impl IntoView + use<> {
    let (customer, id) = (customer.to_owned(), row.id.clone());
    row.actions
        .iter()
        .map(|action| {
            let (customer, id) = (customer.clone(), id.clone());
            match action.as_str() {
            "refund" => view! {
                <ActionForm action=forms.refund attr:class="row-action">
                    <input type="hidden" name="customer" value=customer.clone() />
                    <input type="hidden" name="id" value=id.clone() />
                    <label class="visually-hidden" for=format!("refund-{id}")>"Amount to refund"</label>
                    // Emptied each time a refund is answered, so that a second click never repeats
                    // the amount typed for the first.
                    <input id=format!("refund-{id}") name="amount" inputmode="decimal" size="7"
                        placeholder="All" autocomplete="off"
                        prop:value=move || { forms.refund.version().track(); String::new() } />
                    <button type="submit" class="link danger">"Refund"</button>
                </ActionForm>
            }
            .into_any(),
            "cancel" => view! {
                <ActionForm action=forms.cancel attr:class="row-action">
                    <input type="hidden" name="customer" value=customer.clone() />
                    <input type="hidden" name="id" value=id.clone() />
                    <button type="submit" name="timing" value="period_end" class="link">"Cancel at period end"</button>
                    " · "
                    <button type="submit" name="timing" value="now" class="link danger">"Cancel now"</button>
                </ActionForm>
            }
            .into_any(),
            "uncancel" => view! {
                <ActionForm action=forms.uncancel attr:class="row-action">
                    <input type="hidden" name="customer" value=customer.clone() />
                    <input type="hidden" name="id" value=id.clone() />
                    <button type="submit" class="link">"Keep it running"</button>
                </ActionForm>
            }
            .into_any(),
            _ => ().into_any(),
        }})
        .collect_view()
}

/// One kind of a customer's history as a table (its amount column only where some row has one).
fn history(
    title: &'static str,
    id: &'static str,
    empty: &'static str,
    rows: Vec<HistoryRow>,
    forms: Option<(&String, RowActions)>,
) -> impl IntoView {
    let amounts = rows.iter().any(|r| r.amount.is_some());
    let acts = forms.is_some() && rows.iter().any(|r| !r.actions.is_empty());
    let forms = forms.map(|(customer, f)| (customer.clone(), f));
    view! {
        <section class="panel" aria-labelledby=id>
            <h2 id=id>{title}</h2>
            {if rows.is_empty() {
                view! { <p class="hint">{empty}</p> }.into_any()
            } else {
                view! {
                    <table class="list">
                        <tbody>
                            {rows.into_iter().map(|r| {
                                let actions = forms
                                    .as_ref()
                                    .filter(|_| acts)
                                    .map(|(customer, f)| view! { <td>{row_actions(customer, &r, *f)}</td> });
                                let row_id = r.id.clone();
                                view! {
                                <tr data-row=row_id>
                                    <td>{r.what}</td>
                                    <td><span class=format!("status {}", r.status)>{r.status.clone()}</span></td>
                                    {amounts.then(|| view! { <td>{r.amount.unwrap_or_default()}</td> })}
                                    <td class="mono hint">{r.id}</td>
                                    <td class="hint">{r.at}</td>
                                    {actions}
                                </tr>
                            }}).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
