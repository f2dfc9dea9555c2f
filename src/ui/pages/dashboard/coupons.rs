//! Coupons and promotion codes: the list, and the form that makes a coupon with its code.

use super::{Input, Select, checks, form_action, form_error, me_resource, page, query, visits};
use crate::server_fns::dashboard::{
    CouponView, DashboardCreateCoupon, DashboardSetPromotionCode, dashboard_coupons,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CouponsPage() -> impl IntoView {
    let me = me_resource();
    let data = Resource::new(visits(), |_| dashboard_coupons());
    view! {
        <Title text="Coupons" />
        {page(me, data, |data| match data {
            Ok(coupons) => coupons_view(coupons).into_any(),
            Err(e) => super::failed(&e, "page"),
        })}
    }
}

fn coupons_view(coupons: Vec<CouponView>) -> impl IntoView {
    let create = form_action::<DashboardCreateCoupon>();
    let toggle = form_action::<DashboardSetPromotionCode>();
    let q = query();
    let durations = [
        ("once", "Once"),
        ("repeating", "For some months"),
        ("forever", "Forever"),
    ]
    .into_iter()
    .map(|(v, l)| (v.to_owned(), l.to_owned()))
    .collect::<Vec<_>>();
    view! {
        <h1>"Coupons"</h1>
        {if coupons.is_empty() {
            view! { <p class="hint">"No coupons in this mode yet."</p> }.into_any()
        } else {
            view! {
                <table class="list">
                    <thead>
                        <tr><th>"Code"</th><th>"Discount"</th><th>"Applies"</th><th>"Redeemed"</th><th></th></tr>
                    </thead>
                    <tbody>
                        {coupons.into_iter().flat_map(|c| {
                            let (value, duration, redeemed, name) = (c.value, c.duration, c.redeemed, c.name);
                            c.codes.into_iter().map(move |code| {
                                let label = match &name {
                                    Some(n) => format!("{value} ({n})"),
                                    None => value.clone(),
                                };
                                let shown = code.code.clone();
                                view! {
                                    <tr data-code=code.code>
                                        <td class="mono">{shown}</td>
                                        <td>{label}</td>
                                        <td>{duration.clone()}</td>
                                        <td>{redeemed.clone()}</td>
                                        <td>
                                            <ActionForm action=toggle>
                                                <input type="hidden" name="id" value=code.id />
                                                <input type="hidden" name="active" value=if code.active { "false" } else { "true" } />
                                                {(!code.active).then(|| view! { <span class="hint">"inactive "</span> })}
                                                <button type="submit" class="link">{if code.active { "Deactivate" } else { "Activate" }}</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            }).collect::<Vec<_>>()
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <section class="panel">
            <h2>"Create a coupon"</h2>
            <p class="hint">"Buyers type the code at checkout when a session allows promotion codes."</p>
            {form_error(&q)}
            <ActionForm action=create attr:class="form-grid">
                <Input label="Code" name="code".into() q=q.clone() hint="Such as SPRING20; letters and digits." required=true check=checks::promotion_code />
                <Input label="Name" name="name".into() q=q.clone() hint="For you; buyers see the code." />
                <Input label="Percent off" name="percent_off".into() q=q.clone() hint="Such as 20; or give an amount off." check=checks::percent />
                <Input label="Amount off" name="amount_off".into() q=q.clone() hint="In major units, such as 5.00." />
                <Input label="Currency of the amount" name="currency".into() q=q.clone() />
                <Select label="Applies to subscriptions" name="duration".into() q=q.clone() options=durations />
                <Input label="Months" name="duration_in_months".into() q=q.clone() kind="number" hint="When it applies for some months." />
                <Input label="Redemptions at most" name="max_redemptions".into() q=q.clone() kind="number" hint="Empty for no limit." />
                <button type="submit" class="primary">"Create coupon"</button>
            </ActionForm>
        </section>
    }
}
