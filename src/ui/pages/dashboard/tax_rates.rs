//! Tax rates: the list, archiving and reactivating, and the form that makes one.

use super::{Input, Select, checks, form_action, form_error, me_resource, page, query, visits};
use crate::server_fns::dashboard::{
    DashboardCreateTaxRate, DashboardSetTaxRate, TaxRateView, dashboard_tax_rates,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TaxRatesPage() -> impl IntoView {
    let me = me_resource();
    let data = Resource::new(visits(), |_| dashboard_tax_rates());
    view! {
        <Title text="Tax rates" />
        {page(me, data, |data| match data {
            Ok(rates) => tax_rates_view(rates).into_any(),
            Err(e) => super::failed(&e, "page"),
        })}
    }
}

fn tax_rates_view(rates: Vec<TaxRateView>) -> impl IntoView {
    let create = form_action::<DashboardCreateTaxRate>();
    let toggle = form_action::<DashboardSetTaxRate>();
    let q = query();
    let inclusive = [
        ("false", "Added on top of prices"),
        ("true", "Included in prices"),
    ]
    .into_iter()
    .map(|(v, l)| (v.to_owned(), l.to_owned()))
    .collect::<Vec<_>>();
    view! {
        <h1>"Tax rates"</h1>
        <p class="hint">
            "A checkout applies the rate for the buyer's country, or else the rate without a country. "
            "Archiving a rate keeps it on the checkouts opened before; new ones no longer apply it."
        </p>
        {if rates.is_empty() {
            view! { <p class="hint">"No tax rates in this mode yet."</p> }.into_any()
        } else {
            view! {
                <table class="list">
                    <thead>
                        <tr><th>"Name"</th><th>"Rate"</th><th>"Country"</th><th>"Prices"</th><th></th></tr>
                    </thead>
                    <tbody>
                        {rates.into_iter().map(|r| {
                            let name = match r.description {
                                Some(d) => format!("{} ({d})", r.display_name),
                                None => r.display_name,
                            };
                            let id = r.id.clone();
                            view! {
                                <tr data-tax-rate=id class:inactive=!r.active>
                                    <td>{name}</td>
                                    <td class="num">{r.percentage}</td>
                                    <td>{r.country.unwrap_or_else(|| "Everywhere else".to_owned())}</td>
                                    <td>{if r.inclusive { "Included" } else { "Added on top" }}</td>
                                    <td>
                                        <ActionForm action=toggle>
                                            <input type="hidden" name="id" value=r.id />
                                            <input type="hidden" name="active" value=if r.active { "false" } else { "true" } />
                                            {(!r.active).then(|| view! { <span class="hint">"archived "</span> })}
                                            <button type="submit" class="link">{if r.active { "Archive" } else { "Reactivate" }}</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <section class="panel">
            <h2>"Create a tax rate"</h2>
            <p class="hint">"Its percentage, country and whether prices include it never change: archive it and create another."</p>
            {form_error(&q)}
            <ActionForm action=create attr:class="form-grid">
                <Input label="Name buyers see" name="display_name".into() q=q.clone() hint="Such as VAT or Sales tax." required=true />
                <Input label="Percentage" name="percentage".into() q=q.clone() hint="Such as 19 or 8.875." required=true check=checks::tax_percentage />
                <Select label="Prices" name="inclusive".into() q=q.clone() options=inclusive />
                <Input label="Country" name="country".into() q=q.clone() hint="Its two-letter code, such as DE; empty for every country without a rate of its own." check=checks::country />
                <Input label="Description" name="description".into() q=q.clone() hint="For you; buyers do not see it." />
                <button type="submit" class="primary">"Create tax rate"</button>
            </ActionForm>
        </section>
    }
}
