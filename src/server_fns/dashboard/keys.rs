//! API keys (create with the secret shown once, list by prefix, revoke) and branding.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeys {
    pub keys: Vec<ApiKeyRow>,
    /// A secret made by the request before, shown this once.
    pub new_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRow {
    pub id: String,
    pub prefix: String,
    pub name: String,
    pub live: bool,
    pub created: String,
    pub revoked: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrandingView {
    pub display_name: Option<String>,
    pub accent_color: Option<String>,
    pub logo_url: Option<String>,
    pub terms_url: Option<String>,
}

/// The organization's keys, test and live. Reading the page forgets a new secret: it is shown once.
#[server(name = DashboardApiKeys, prefix = "/api/dashboard", endpoint = "api-keys")]
pub async fn dashboard_api_keys() -> Result<ApiKeys, ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    let keys = state()
        .store
        .api_keys(&signed.principal.organization_id)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|k| ApiKeyRow {
            id: k.id,
            prefix: k.display_prefix,
            name: k.name,
            live: k.livemode,
            created: when(k.created_at),
            revoked: k.revoked_at.map(when),
        })
        .collect();
    let new_secret = signed
        .session
        .remove::<String>(NEW_SECRET_KEY)
        .await
        .map_err(internal)?;
    Ok(ApiKeys { keys, new_secret })
}

/// Makes a key in `mode` (test or live); its secret shows once on the next page.
#[server(name = DashboardCreateApiKey, prefix = "/api/dashboard", endpoint = "api-keys/create")]
pub async fn dashboard_create_api_key(
    name: Option<String>,
    mode: Option<String>,
    password: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::Mode;
    let signed = signed_in().await?;
    let mode = if mode.as_deref() == Some("live") {
        Mode::Live
    } else {
        Mode::Test
    };
    // A live key moves real money: the member's password, not only their session, makes one.
    if mode == Mode::Live {
        let app = state();
        let refusal = match app
            .limits
            .account_check(crate::server_fns::client_address(&app), false)
        {
            Err(wait) => Some(too_many_attempts(wait, FROM_NETWORK)),
            Ok(()) => {
                let matches = crate::service::accounts::password_matches(
                    &app.store,
                    &signed.member.user_id,
                    password.as_deref().unwrap_or_default(),
                )
                .await
                .map_err(internal)?;
                (!matches).then(|| {
                    crate::server_fns::set_status(axum::http::StatusCode::FORBIDDEN);
                    "Enter your password to create a live key.".to_owned()
                })
            }
        };
        if let Some(message) = refusal {
            answer_form(
                "/dashboard/api-keys",
                Err(vec![("password".to_owned(), message)]),
                &[("name", &name), ("mode", &Some("live".to_owned()))],
            );
            return Ok(());
        }
    }
    let name = name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("Dashboard key")
        .chars()
        .take(100)
        .collect::<String>();
    let (_, secret) = crate::service::api_keys::create(
        &state().store,
        &signed.principal.organization_id,
        mode,
        &name,
    )
    .await
    .map_err(internal)?;
    signed
        .session
        .insert(NEW_SECRET_KEY, secret.expose())
        .await
        .map_err(internal)?;
    leptos_axum::redirect("/dashboard/api-keys");
    Ok(())
}

#[server(name = DashboardRevokeApiKey, prefix = "/api/dashboard", endpoint = "api-keys/revoke")]
pub async fn dashboard_revoke_api_key(id: String) -> Result<(), ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    crate::service::api_keys::revoke(&state().store, &signed.principal.organization_id, &id)
        .await
        .map_err(service_error)?;
    leptos_axum::redirect("/dashboard/api-keys");
    Ok(())
}

#[server(name = DashboardBranding, prefix = "/api/dashboard", endpoint = "branding")]
pub async fn dashboard_branding() -> Result<BrandingView, ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    let b = state()
        .store
        .branding(&signed.principal.organization_id)
        .await
        .map_err(internal)?;
    Ok(BrandingView {
        display_name: b.display_name,
        accent_color: b.accent_color,
        logo_url: b.logo_url,
        terms_url: b.terms_url,
    })
}

/// Sets the name, accent colour and logo the checkout page shows; empty clears one.
#[server(name = DashboardSetBranding, prefix = "/api/dashboard", endpoint = "branding/update")]
pub async fn dashboard_set_branding(
    display_name: Option<String>,
    accent_color: Option<String>,
    logo_url: Option<String>,
    terms_url: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::account::BrandingDraft;
    use crate::service::{ServiceError, accounts};
    let signed = signed_in().await?;
    let draft = BrandingDraft {
        display_name: display_name.clone(),
        accent_color: accent_color.clone(),
        logo_url: logo_url.clone(),
        terms_url: terms_url.clone(),
    };
    let outcome = match accounts::set_branding(
        &state().store,
        &signed.principal.organization_id,
        draft,
    )
    .await
    {
        Ok(()) => Ok("/dashboard/settings?saved=1".to_owned()),
        Err(ServiceError::Invalid(errors)) => Err(by_input(errors, |f| Some(f.to_string()))),
        Err(error) => return Err(internal(error)),
    };
    answer_form(
        "/dashboard/settings",
        outcome,
        &[
            ("display_name", &display_name),
            ("accent_color", &accent_color),
            ("logo_url", &logo_url),
            ("terms_url", &terms_url),
        ],
    );
    Ok(())
}
