//! Signing up, in and out, and the test/live switch.

use super::Me;
use leptos::prelude::*;

/// The signed-in member, or `signed_out`.
#[server(name = DashboardMe, prefix = "/api/dashboard", endpoint = "me")]
pub async fn dashboard_me() -> Result<Me, ServerFnError> {
    let signed = super::ssr::signed_in().await?;
    Ok(Me {
        email: signed.member.email,
        organization_name: signed.member.organization_name,
        live: signed.principal.mode.is_live(),
    })
}

/// Makes an organization, its first test key and its owner, and signs the owner in. The key's
/// secret is shown once, on the API keys page.
#[server(name = SignUp, prefix = "/api/dashboard", endpoint = "sign-up")]
pub async fn sign_up(
    email: Option<String>,
    password: Option<String>,
    organization_name: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::service::ServiceError;
    use crate::service::accounts;

    let app = state();
    let refused = if !app.sign_up_open {
        crate::server_fns::set_status(axum::http::StatusCode::FORBIDDEN);
        Some(
            "Sign-up is closed on this kassa: ask the people who run it for an account.".to_owned(),
        )
    } else if let Err(wait) = app
        .limits
        .account_check(crate::server_fns::client_address(&app), true)
    {
        Some(too_many_attempts(wait, FROM_NETWORK))
    } else {
        None
    };
    if let Some(message) = refused {
        answer_form(
            "/dashboard/sign-up",
            Err(vec![("form".to_owned(), message)]),
            &[("email", &email), ("organization_name", &organization_name)],
        );
        return Ok(());
    }
    let outcome = accounts::sign_up(
        &app.store,
        email.as_deref().unwrap_or_default(),
        password.as_deref().unwrap_or_default(),
        organization_name.as_deref().unwrap_or_default(),
    )
    .await;
    let outcome = match outcome {
        Ok((member, secret)) => {
            let session = session().await?;
            sign_in_as(&session, &member).await?;
            session
                .insert(NEW_SECRET_KEY, secret.expose())
                .await
                .map_err(internal)?;
            Ok("/dashboard/api-keys?welcome=1".to_owned())
        }
        Err(ServiceError::Invalid(errors)) => Err(by_input(errors, |f| Some(f.to_string()))),
        Err(ServiceError::Conflict(error)) => Err(by_input(vec![error], |f| Some(f.to_string()))),
        Err(other) => return Err(internal(other)),
    };
    answer_form(
        "/dashboard/sign-up",
        outcome,
        &[("email", &email), ("organization_name", &organization_name)],
    );
    Ok(())
}

/// Signs in with an email and password, at most a few tries a minute for one email.
#[server(name = SignIn, prefix = "/api/dashboard", endpoint = "sign-in")]
pub async fn sign_in(
    email: Option<String>,
    password: Option<String>,
    return_to: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::service::ServiceError;
    use crate::service::accounts;

    let app = state();
    let email_key = email.as_deref().unwrap_or_default().trim().to_lowercase();
    let back = dashboard_path(return_to.as_deref());
    let outcome = if let Err(wait) = app
        .limits
        .account_check(crate::server_fns::client_address(&app), false)
    {
        Err(vec![(
            "password".to_owned(),
            too_many_attempts(wait, FROM_NETWORK),
        )])
    } else if let Err(wait) = app.limits.sign_in_as(&email_key) {
        Err(vec![(
            "password".to_owned(),
            too_many_attempts(wait, "to sign in as this email"),
        )])
    } else {
        match accounts::sign_in(
            &app.store,
            &email_key,
            password.as_deref().unwrap_or_default(),
        )
        .await
        {
            Ok(member) => {
                sign_in_as(&session().await?, &member).await?;
                Ok(back.clone())
            }
            Err(ServiceError::Invalid(errors)) => Err(by_input(errors, |f| Some(f.to_string()))),
            Err(other) => return Err(internal(other)),
        }
    };
    // A failed sign-in goes back to the sign-in form at the page that asked for it.
    answer_form(&back, outcome, &[("email", &email)]);
    Ok(())
}

#[server(name = SignOut, prefix = "/api/dashboard", endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    use super::ssr::*;
    let session = session().await?;
    session.flush().await.map_err(internal)?;
    leptos_axum::redirect("/dashboard");
    Ok(())
}

/// Switches between test and live data, and comes back to the page it was asked from.
#[server(name = SetMode, prefix = "/api/dashboard", endpoint = "mode")]
pub async fn set_mode(mode: String, return_to: Option<String>) -> Result<(), ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    let mode = if mode == "live" { "live" } else { "test" };
    signed
        .session
        .insert(MODE_KEY, mode)
        .await
        .map_err(internal)?;
    // An object's page belongs to one mode: switching goes to the list it was in.
    let back = dashboard_path(return_to.as_deref());
    let back = back.split('?').next().unwrap_or("/dashboard");
    let segments: Vec<&str> = back.split('/').collect();
    let back = if segments.len() > 3 {
        segments[..3].join("/")
    } else {
        back.to_owned()
    };
    leptos_axum::redirect(&back);
    Ok(())
}
