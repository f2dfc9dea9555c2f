//! API keys and branding.

use super::{Input, Select, checks, form_action, form_error, me_resource, page, query, visits};
use crate::server_fns::dashboard::{
    ApiKeys, BrandingView, DashboardCreateApiKey, DashboardRevokeApiKey, DashboardSetBranding,
    dashboard_api_keys, dashboard_branding,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let me = me_resource();
    let data = Resource::new(visits(), |_| dashboard_api_keys());
    view! {
        <Title text="API keys" />
        {page(me, data, |data| match data {
            Ok(keys) => keys_view(keys).into_any(),
            Err(e) => super::failed(&e, "page"),
        })}
    }
}

fn keys_view(keys: ApiKeys) -> impl IntoView {
    let create = form_action::<DashboardCreateApiKey>();
    let revoke = form_action::<DashboardRevokeApiKey>();
    let q = query();
    let welcome = q.get("welcome").is_some();
    view! {
        <h1>"API keys"</h1>
        {welcome.then(|| view! {
            <p class="banner ok">"Your account is ready. Here is your first test-mode secret key."</p>
        })}
        {keys.new_secret.map(|secret| view! {
            <section class="panel secret" data-testid="new-secret">
                <h2>"Your new secret key"</h2>
                <p>"Copy it now: kassa keeps only a hash of it and cannot show it again."</p>
                <input readonly class="mono" value=secret aria-label="Secret key" />
            </section>
        })}
        <table class="list">
            <thead><tr><th>"Key"</th><th>"Name"</th><th>"Mode"</th><th>"Created"</th><th></th></tr></thead>
            <tbody>
                {keys.keys.into_iter().map(|k| view! {
                    <tr>
                        <td class="mono">{k.prefix}"…"</td>
                        <td>{k.name}</td>
                        <td>{if k.live { "live" } else { "test" }}</td>
                        <td class="hint">{k.created}</td>
                        <td>
                            {match k.revoked {
                                Some(at) => view! { <span class="hint">"revoked "{at}</span> }.into_any(),
                                None => view! {
                                    <ActionForm action=revoke>
                                        <input type="hidden" name="id" value=k.id />
                                        <button type="submit" class="link danger">"Revoke"</button>
                                    </ActionForm>
                                }.into_any(),
                            }}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <section class="panel">
            <h2>"Create a key"</h2>
            <ActionForm action=create attr:class="form-grid">
                <Input label="Name" name="name".into() q=q.clone() hint="What uses it, such as “Production server”." />
                <Select
                    label="Mode"
                    name="mode".into()
                    q=q.clone()
                    options=vec![("test".into(), "Test".into()), ("live".into(), "Live".into())]
                />
                <Input
                    label="Your password"
                    name="password".into()
                    q=q.clone()
                    kind="password"
                    autocomplete="current-password"
                    hint="Asked for a live key."
                />
                <button type="submit" class="primary">"Create key"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let me = me_resource();
    let data = Resource::new(visits(), |_| dashboard_branding());
    view! {
        <Title text="Branding" />
        {page(me, data, |data| match data {
            Ok(branding) => branding_view(branding).into_any(),
            Err(e) => super::failed(&e, "page"),
        })}
    }
}

fn branding_view(b: BrandingView) -> impl IntoView {
    let save = form_action::<DashboardSetBranding>();
    let q = query();
    let saved = q.get("saved").is_some();
    view! {
        <h1>"Branding"</h1>
        <p class="hint">"What buyers see on your checkout pages."</p>
        {saved.then(|| view! { <p class="banner ok" role="status">"Saved."</p> })}
        {form_error(&q)}
        <ActionForm action=save attr:class="panel form-grid">
            <Input label="Display name" name="display_name".into() q=q.clone() value=b.display_name.unwrap_or_default() hint="Shown instead of your organization's name." />
            <Input label="Accent colour" name="accent_color".into() q=q.clone() value=b.accent_color.unwrap_or_default() hint="A hex colour such as #1d4ed8." check=checks::accent_color />
            <Input label="Logo URL" name="logo_url".into() q=q.clone() kind="url" value=b.logo_url.unwrap_or_default() hint="An https:// address of an image." />
            <Input label="Terms of service URL" name="terms_url".into() q=q.clone() kind="url" value=b.terms_url.unwrap_or_default() hint="Where a checkout asking buyers to accept your terms links to." />
            <button type="submit" class="primary">"Save"</button>
        </ActionForm>
    }
}
