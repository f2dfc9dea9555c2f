//! Dashboard accounts: signing up (an organization, its first test key, its owner) and in.

use super::api_keys::{MintedKey, SecretKey};
use super::ids::new_id;
use super::passwords;
use super::{ServiceError, ServiceResult};
use crate::domain::account::{BrandingDraft, check_branding, check_sign_up};
use crate::domain::field::{Field, FieldError};
use crate::domain::{Mode, ids};
use crate::store::{Branding, Store, StoreError};

/// A signed-in user acting for one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub organization_id: String,
    pub organization_name: String,
}

/// Sets the name, accent colour and logo the organization's checkout pages show, each checked;
/// an empty one clears it.
pub async fn set_branding(
    store: &Store,
    organization_id: &str,
    draft: BrandingDraft,
) -> ServiceResult<()> {
    let checked = check_branding(draft)?;
    store
        .set_branding(
            organization_id,
            &Branding {
                display_name: checked.display_name,
                accent_color: checked.accent_color,
                logo_url: checked.logo_url,
                terms_url: checked.terms_url,
            },
        )
        .await?;
    Ok(())
}

/// Makes an organization with its first test-mode key and the user who owns it. Returns the member
/// and the key's secret, to be shown once.
pub async fn sign_up(
    store: &Store,
    email: &str,
    password: &str,
    organization_name: &str,
) -> ServiceResult<(Member, SecretKey)> {
    let checked = check_sign_up(email, password, organization_name)?;
    let taken = || {
        ServiceError::Conflict(FieldError::new(
            Field::AccountEmail,
            "account_exists",
            "An account with this email already exists. Sign in instead.",
        ))
    };
    if store.user_by_email(&checked.email).await?.is_some() {
        return Err(taken());
    }
    let password_hash = passwords::hash(password.to_owned())
        .await
        .map_err(|e| StoreError::Corrupt(format!("hashing a password: {e}")))?;
    let organization_id = new_id(ids::ORGANIZATION);
    let user_id = new_id(ids::USER);
    let key = MintedKey::generate(Mode::Test);
    store
        .insert_account(
            &organization_id,
            &checked.organization_name,
            &key.as_new(&organization_id, Mode::Test, "Default test key"),
            &user_id,
            &checked.email,
            &password_hash,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => taken(),
            other => other.into(),
        })?;
    Ok((
        Member {
            user_id,
            email: checked.email,
            organization_id,
            organization_name: checked.organization_name,
        },
        key.secret,
    ))
}

/// A hash to verify against when the email is unknown, so that a wrong email takes as long as
/// a wrong password and the answer does not tell which accounts exist.
async fn decoy_hash() -> &'static str {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_init(|| async {
            passwords::hash("not the password of anyone".to_owned())
                .await
                .unwrap_or_default()
        })
        .await
}

/// Checks an email and password; the member acts for the user's first organization.
pub async fn sign_in(store: &Store, email: &str, password: &str) -> ServiceResult<Member> {
    let wrong = || {
        ServiceError::Invalid(vec![FieldError::invalid(
            Field::Password,
            "The email or password is wrong.",
        )])
    };
    let user = store.user_by_email(email.trim()).await?;
    let hash = match &user {
        Some(user) => user.password_hash.clone(),
        None => decoy_hash().await.to_owned(),
    };
    let matches = passwords::verify(password.to_owned(), hash).await;
    let Some(user) = user.filter(|_| matches) else {
        return Err(wrong());
    };
    let organization_id = store
        .organizations_of_user(&user.id)
        .await?
        .into_iter()
        .next()
        .ok_or_else(wrong)?;
    member(store, &user.id, &organization_id)
        .await?
        .ok_or_else(wrong)
}

/// Whether `password` is `user_id`'s: asked again before something as strong as a live key is
/// made, so that a session left open is not enough.
pub async fn password_matches(store: &Store, user_id: &str, password: &str) -> ServiceResult<bool> {
    let Some(user) = store.user(user_id).await? else {
        return Ok(false);
    };
    Ok(passwords::verify(password.to_owned(), user.password_hash).await)
}

/// The member `user_id` is in `organization_id`, if they still are.
pub async fn member(
    store: &Store,
    user_id: &str,
    organization_id: &str,
) -> ServiceResult<Option<Member>> {
    if !store.is_member(user_id, organization_id).await? {
        return Ok(None);
    }
    let (Some(user), Some(organization)) = (
        store.user(user_id).await?,
        store.organization(organization_id).await?,
    ) else {
        return Ok(None);
    };
    Ok(Some(Member {
        user_id: user.id,
        email: user.email,
        organization_id: organization.id,
        organization_name: organization.name,
    }))
}
