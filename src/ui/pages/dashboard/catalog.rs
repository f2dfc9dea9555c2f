//! Products and prices: the list with the create form, and a product's page.

use super::{Input, Select, form_action, form_error, me_resource, page, query, visits};
use crate::server_fns::dashboard::{
    DashboardArchive, DashboardCreatePrice, DashboardCreateProduct, DashboardUpdateProduct,
    ProductView, dashboard_product, dashboard_products,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn billing_options() -> Vec<(String, String)> {
    [
        ("once", "One time"),
        ("month", "Monthly"),
        ("year", "Yearly"),
        ("week", "Weekly"),
        ("day", "Daily"),
    ]
    .into_iter()
    .map(|(v, l)| (v.to_owned(), l.to_owned()))
    .collect()
}

#[component]
pub fn ProductsPage() -> impl IntoView {
    let me = me_resource();
    let data = Resource::new(visits(), |_| dashboard_products());
    view! {
        <Title text="Products" />
        {page(me, data, |data| match data {
            Ok(products) => products_view(products).into_any(),
            Err(e) => super::failed(&e, "page"),
        })}
    }
}

fn products_view(products: Vec<ProductView>) -> impl IntoView {
    let create = form_action::<DashboardCreateProduct>();
    let q = query();
    let currency = products
        .first()
        .map(|p| p.default_currency.clone())
        .unwrap_or_else(|| "USD".to_owned());
    view! {
        <h1>"Products"</h1>
        {if products.is_empty() {
            view! { <p class="hint">"No products in this mode yet."</p> }.into_any()
        } else {
            view! {
                <table class="list">
                    <thead><tr><th>"Product"</th><th>"Prices"</th><th>"Status"</th></tr></thead>
                    <tbody>
                        {products.into_iter().map(|p| {
                            let href = format!("/dashboard/products/{}", p.id);
                            let prices = p.prices.iter().filter(|x| x.active).map(|x| x.label.clone()).collect::<Vec<_>>().join(", ");
                            view! {
                                <tr>
                                    <td><a href=href>{p.name}</a></td>
                                    <td>{prices}</td>
                                    <td>{if p.active { "active" } else { "archived" }}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <section class="panel">
            <h2>"Create a product"</h2>
            {form_error(&q)}
            <ActionForm action=create attr:class="form-grid">
                <Input label="Name" name="name".into() q=q.clone() required=true />
                <Input label="Description" name="description".into() q=q.clone() />
                <Input label="Price" name="amount".into() q=q.clone() kind="text" hint="In major units, such as 19.99." required=true />
                <Input label="Currency" name="currency".into() q=q.clone() value=currency />
                <Select label="Billing" name="billing".into() q=q.clone() options=billing_options() />
                <button type="submit" class="primary">"Create product"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn ProductPage() -> impl IntoView {
    let me = me_resource();
    let params = use_params_map();
    let visits = visits();
    let data = Resource::new(
        move || (params.read().get("id").unwrap_or_default(), visits()),
        |(id, _)| dashboard_product(id),
    );
    view! {
        <Title text="Product" />
        {page(me, data, |data| match data {
            Ok(product) => product_view(product).into_any(),
            Err(e) => super::failed(&e, "product"),
        })}
    }
}

fn product_view(p: ProductView) -> impl IntoView {
    let update = form_action::<DashboardUpdateProduct>();
    let add_price = form_action::<DashboardCreatePrice>();
    let archive = form_action::<DashboardArchive>();
    let q = query();
    let product_id = p.id.clone();
    let (id_price, id_edit, id_archive) = (p.id.clone(), p.id.clone(), p.id.clone());
    let (q_price, q_edit) = (q.clone(), q.clone());
    let currency = p.default_currency.clone();
    let (name, description) = (p.name.clone(), p.description.clone().unwrap_or_default());
    view! {
        <p><a href="/dashboard/products">"← Products"</a></p>
        <div class="heading">
            <h1>{p.name.clone()}</h1>
            <span class="status">{if p.active { "active" } else { "archived" }}</span>
        </div>
        {form_error(&q)}
        <section class="panel">
            <h2>"Prices"</h2>
            <table class="list">
                <thead><tr><th>"Price"</th><th>"Id"</th><th>"Status"</th><th></th></tr></thead>
                <tbody>
                    {p.prices.into_iter().map(|price| {
                        let product_id = product_id.clone();
                        view! {
                            <tr>
                                <td>{price.label}</td>
                                <td class="mono">{price.id.clone()}</td>
                                <td>{if price.active { "active" } else { "archived" }}</td>
                                <td>
                                    <ActionForm action=archive>
                                        <input type="hidden" name="product_id" value=product_id />
                                        <input type="hidden" name="price_id" value=price.id />
                                        <input type="hidden" name="active" value=if price.active { "false" } else { "true" } />
                                        <button type="submit" class="link">{if price.active { "Archive" } else { "Restore" }}</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <h3>"Add a price"</h3>
            <ActionForm action=add_price attr:class="form-grid">
                <input type="hidden" name="product_id" value=id_price />
                <Input label="Price" name="amount".into() q=q_price.clone() hint="In major units, such as 19.99." required=true />
                <Input label="Currency" name="currency".into() q=q_price.clone() value=currency />
                <Select label="Billing" name="billing".into() q=q_price options=billing_options() />
                <button type="submit" class="primary">"Add price"</button>
            </ActionForm>
        </section>
        <section class="panel">
            <h2>"Edit"</h2>
            <ActionForm action=update attr:class="form-grid">
                <input type="hidden" name="id" value=id_edit />
                <Input label="Name" name="name".into() q=q_edit.clone() value=name required=true />
                <Input label="Description" name="description".into() q=q_edit value=description />
                <button type="submit">"Save"</button>
            </ActionForm>
            <ActionForm action=archive>
                <input type="hidden" name="product_id" value=id_archive />
                <input type="hidden" name="active" value=if p.active { "false" } else { "true" } />
                <button type="submit" class=if p.active { "danger" } else { "" }>
                    {if p.active { "Archive product" } else { "Restore product" }}
                </button>
            </ActionForm>
        </section>
    }
}
