//! Payment links: each link's address and QR code, what a visit sells, turning it off or on, and
//! the form that makes one.

use super::{Input, Select, form_action, form_error, me_resource, page, query, visits};
use crate::server_fns::dashboard::{
    DashboardCreatePaymentLink, DashboardSetPaymentLink, PaymentLinksPage, dashboard_payment_links,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PaymentLinksPage() -> impl IntoView {
    let me = me_resource();
    let data = Resource::new(visits(), |_| dashboard_payment_links());
    view! {
        <Title text="Payment links" />
        {page(me, data, |data| match data {
            Ok(links) => links_view(links).into_any(),
            Err(e) => super::failed(&e, "page"),
        })}
    }
}

fn links_view(data: PaymentLinksPage) -> impl IntoView {
    let create = form_action::<DashboardCreatePaymentLink>();
    let toggle = form_action::<DashboardSetPaymentLink>();
    let q = query();
    let checked = |name: &str| q.get(&format!("value.{name}")).is_some();
    let (adjustable, codes) = (checked("adjustable"), checked("allow_promotion_codes"));
    let mut prices = vec![(String::new(), "—".to_owned())];
    prices.extend(data.prices.iter().cloned());
    view! {
        <h1>"Payment links"</h1>
        <p class="hint">"A payment link sells the same thing to everyone who opens it: share its address or its QR code. Every visit makes a new checkout session."</p>
        {if data.links.is_empty() {
            view! { <p class="hint">"No payment links in this mode yet."</p> }.into_any()
        } else {
            view! {
                <ul class="links">
                    {data.links.into_iter().map(|link| {
                        let label = format!("QR code of {}", link.url);
                        let id = link.id.clone();
                        view! {
                            <li class="panel link-card" data-link=link.id.clone()>
                                <div class="qr" inner_html=link.qr_svg role="img" aria-label=label></div>
                                <div>
                                    <p><a class="mono" href=link.url.clone()>{link.url.clone()}</a></p>
                                    <p>{link.sells.join(", ")}</p>
                                    <p class="hint">{format!("Made {}", link.created)}{(!link.active).then_some(" · inactive")}</p>
                                    <ActionForm action=toggle>
                                        <input type="hidden" name="id" value=id />
                                        <input type="hidden" name="active" value=if link.active { "false" } else { "true" } />
                                        <button type="submit" class="link">{if link.active { "Deactivate" } else { "Activate" }}</button>
                                    </ActionForm>
                                </div>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <section class="panel">
            <h2>"Create a payment link"</h2>
            {form_error(&q)}
            <ActionForm action=create attr:class="form-grid">
                <Select label="Price" name="price".into() q=q.clone() options=prices />
                <Input label="Quantity" name="quantity".into() q=q.clone() kind="number" value="1".to_owned() />
                <label class="check">
                    <input type="checkbox" name="adjustable" value="on" checked=adjustable />
                    " Buyer can change the quantity"
                </label>
                <label class="check">
                    <input type="checkbox" name="allow_promotion_codes" value="on" checked=codes />
                    " Allow promotion codes"
                </label>
                <button type="submit" class="primary">"Create payment link"</button>
            </ActionForm>
        </section>
    }
}
