//! Plans and business entities: what Zenskar-style checkouts sell and who bills for them.

use super::{Input, Select, form_action, form_error, me_resource, page, query, visits};
use crate::server_fns::dashboard::{
    DashboardCreateEntity, DashboardCreatePlan, PLAN_FORM_ITEMS, PlansData, dashboard_plans,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PlansPage() -> impl IntoView {
    let me = me_resource();
    let data = Resource::new(visits(), |_| dashboard_plans());
    view! {
        <Title text="Plans" />
        {page(me, data, |data| match data {
            Ok(data) => plans_view(data).into_any(),
            Err(e) => super::failed(&e, "page"),
        })}
    }
}

fn plans_view(data: PlansData) -> impl IntoView {
    let create_plan = form_action::<DashboardCreatePlan>();
    let create_entity = form_action::<DashboardCreateEntity>();
    let q = query();
    let (plan_q, entity_q) = (q.clone(), q.clone());
    let plan_rows = {
        let q = q.clone();
        let options = options_of(&data.prices);
        (1..=PLAN_FORM_ITEMS)
            .map(move |n| {
                let label: &'static str = match n {
                    1 => "Price",
                    2 => "Second price",
                    _ => "Third price",
                };
                view! {
                    <Select label=label name=format!("price{n}") q=q.clone() options=options.clone() />
                    <Input label="Quantity" name=format!("quantity{n}") q=q.clone() kind="number" hint="1 when empty." />
                }
            })
            .collect_view()
    };
    let no_prices = data.prices.is_empty();
    view! {
        <h1>"Plans"</h1>
        <p class="hint">
            "A plan bundles prices of one currency; a plan-based checkout ("
            <code>"POST /checkout"</code>
            " with "<code>"contract.is_plan_based"</code>") sells it whole."
        </p>
        {if data.plans.is_empty() {
            view! { <p class="hint">"No plans in this mode yet."</p> }.into_any()
        } else {
            view! {
                <table class="list">
                    <thead><tr><th>"Name"</th><th>"Items"</th><th>"Currency"</th><th>"ID"</th></tr></thead>
                    <tbody>
                        {data.plans.into_iter().map(|p| { let id = p.id.clone(); view! {
                            <tr data-plan=id>
                                <td>{p.name}{(!p.active).then(|| view! { <span class="hint">" (archived)"</span> })}</td>
                                <td>{p.items.into_iter().map(|i| view! { <div>{i}</div> }).collect_view()}</td>
                                <td>{p.currency}</td>
                                <td class="mono">{p.id}</td>
                            </tr>
                        }}).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <section class="panel">
            <h2>"Create a plan"</h2>
            {no_prices.then(|| view! { <p class="hint">"Create a product with a price first."</p> })}
            {form_error(&q)}
            <ActionForm action=create_plan attr:class="form-grid">
                <Input label="Plan name" name="plan_name".into() q=plan_q.clone() required=true />
                <Input label="Currency" name="plan_currency".into() q=plan_q hint="Such as USD; the prices' own when empty." />
                {plan_rows}
                <button type="submit" class="primary">"Create plan"</button>
            </ActionForm>
        </section>

        <h2>"Business entities"</h2>
        <p class="hint">"The legal sellers a guest checkout bills from (its "<code>"business_entity_id"</code>")."</p>
        {if data.entities.is_empty() {
            view! { <p class="hint">"No business entities in this mode yet."</p> }.into_any()
        } else {
            view! {
                <table class="list">
                    <thead><tr><th>"Name"</th><th>"Legal name"</th><th>"Country"</th><th>"ID"</th></tr></thead>
                    <tbody>
                        {data.entities.into_iter().map(|e| { let id = e.id.clone(); view! {
                            <tr data-entity=id>
                                <td>{e.name}</td>
                                <td>{e.legal_name.unwrap_or_default()}</td>
                                <td>{e.country.unwrap_or_default()}</td>
                                <td class="mono">{e.id}</td>
                            </tr>
                        }}).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <section class="panel">
            <h2>"Create a business entity"</h2>
            <ActionForm action=create_entity attr:class="form-grid">
                <Input label="Entity name" name="entity_name".into() q=entity_q.clone() required=true />
                <Input label="Legal name" name="entity_legal_name".into() q=entity_q.clone() />
                <Input label="Country" name="entity_country".into() q=entity_q hint="Two letters, such as US or DE." />
                <button type="submit" class="primary">"Create business entity"</button>
            </ActionForm>
        </section>
    }
}

/// The price choices of a plan row: none, or one of the active prices.
fn options_of(prices: &[(String, String)]) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), "None".to_owned())];
    options.extend(prices.iter().cloned());
    options
}
