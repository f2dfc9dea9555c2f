//! Customers: the list, and a customer's page with everything they bought.

use super::{me_resource, page, visits};
use crate::server_fns::dashboard::{
    CustomerDetail, CustomerList, HistoryRow, dashboard_customer, dashboard_customers,
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

fn detail_view(d: CustomerDetail) -> impl IntoView {
    let title = d
        .row
        .name
        .clone()
        .or(d.row.email.clone())
        .unwrap_or(d.row.id.clone());
    view! {
        <p><a href="/dashboard/customers">"← Customers"</a></p>
        <h1>{title}</h1>
        <section class="panel">
            <dl class="facts">
                <dt>"Id"</dt><dd class="mono">{d.row.id}</dd>
                <dt>"Email"</dt><dd>{d.row.email.unwrap_or_else(|| "—".into())}</dd>
                <dt>"Your id"</dt><dd class="mono">{d.row.external_id.unwrap_or_else(|| "—".into())}</dd>
                <dt>"Created"</dt><dd>{d.row.created}</dd>
            </dl>
        </section>
        {history("Purchases", "purchases", "No purchases yet.", d.purchases)}
        {history("Subscriptions", "subscriptions", "No subscriptions.", d.subscriptions)}
        {history("Invoices", "invoices", "No invoices yet.", d.invoices)}
        {history("Payment methods", "payment-methods", "No saved payment methods.", d.payment_methods)}
    }
}

/// One kind of a customer's history as a table (its amount column only where some row has one).
fn history(
    title: &'static str,
    id: &'static str,
    empty: &'static str,
    rows: Vec<HistoryRow>,
) -> impl IntoView {
    let amounts = rows.iter().any(|r| r.amount.is_some());
    view! {
        <section class="panel" aria-labelledby=id>
            <h2 id=id>{title}</h2>
            {if rows.is_empty() {
                view! { <p class="hint">{empty}</p> }.into_any()
            } else {
                view! {
                    <table class="list">
                        <tbody>
                            {rows.into_iter().map(|r| view! {
                                <tr>
                                    <td>{r.what}</td>
                                    <td><span class=format!("status {}", r.status)>{r.status.clone()}</span></td>
                                    {amounts.then(|| view! { <td>{r.amount.unwrap_or_default()}</td> })}
                                    <td class="mono hint">{r.id}</td>
                                    <td class="hint">{r.at}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
