//! The storage contract: every test runs on SQLite and on PostgreSQL (when
//! `KASSA_TEST_POSTGRES_URL` is set), against a fresh database of its own.

mod support;

use kassa::domain::{Mode, PriceType, RecurringInterval};
use kassa::service::api_keys::{self, AuthError, MintedKey, hash_secret};
use kassa::service::{demo, ids::new_id};
use kassa::store::{Engine, NewApiKey, NewPrice, NewProduct, Store, StoreError};
use support::TestDb;

on_both_engines!(
    migrations_are_idempotent_and_the_database_answers,
    organizations_round_trip,
    api_keys_are_found_by_hash_until_revoked,
    a_key_authenticates_only_in_its_own_mode,
    secret_hashes_are_unique,
    foreign_keys_are_enforced,
    users_are_unique_by_email_case_insensitively,
    price_slugs_are_unique_per_organization_and_mode,
    prices_keep_their_schedule_and_refuse_impossible_ones,
    the_demo_is_created_once_and_completely,
    concurrent_writes_all_land,
);

/// A fresh migrated store, or `None` when this engine is not configured.
async fn open(engine: Engine, test: &str) -> Option<(TestDb, Store)> {
    let db = TestDb::fresh(engine, test).await?;
    let store = db.store().await;
    Some((db, store))
}

async fn finish(db: TestDb, store: Store) {
    store.close().await;
    db.drop_db().await;
}

async fn organization(store: &Store) -> String {
    let id = new_id("org");
    store
        .insert_organization(&id, "Acme")
        .await
        .expect("inserts an organization");
    id
}

fn product<'a>(id: &'a str, org: &'a str, livemode: bool) -> NewProduct<'a> {
    NewProduct {
        id,
        organization_id: org,
        livemode,
        name: "Widget",
        description: None,
    }
}

fn one_time<'a>(
    id: &'a str,
    org: &'a str,
    product: &'a str,
    slug: &'a str,
    livemode: bool,
) -> NewPrice<'a> {
    NewPrice {
        id,
        organization_id: org,
        product_id: product,
        livemode,
        name: None,
        slug,
        price_type: PriceType::SinglePayment,
        unit_amount: 1000,
        currency: "usd",
        recurring: None,
        trial_period_days: None,
    }
}

async fn migrations_are_idempotent_and_the_database_answers(engine: Engine) {
    let Some((db, store)) = open(engine, "migrations_are_idempotent").await else {
        return;
    };
    assert_eq!(store.engine(), engine);
    store
        .migrate()
        .await
        .expect("a second migration run is a no-op");
    store.ping().await.expect("the database answers");
    finish(db, store).await;
}

async fn organizations_round_trip(engine: Engine) {
    let Some((db, store)) = open(engine, "organizations_round_trip").await else {
        return;
    };
    let id = organization(&store).await;
    let found = store.organization(&id).await.unwrap().expect("found");
    assert_eq!(found.name, "Acme");
    assert!(found.created_at > 1_600_000_000_000, "epoch milliseconds");
    assert_eq!(store.organization("org_missing").await.unwrap(), None);
    finish(db, store).await;
}

async fn api_keys_are_found_by_hash_until_revoked(engine: Engine) {
    let Some((db, store)) = open(engine, "api_keys_are_found_by_hash").await else {
        return;
    };
    let org = organization(&store).await;
    let other = organization(&store).await;
    let (first, secret) = api_keys::create(&store, &org, Mode::Test, "first")
        .await
        .unwrap();
    let (second, _) = api_keys::create(&store, &org, Mode::Live, "second")
        .await
        .unwrap();

    let found = store
        .active_api_key_by_hash(&hash_secret(secret.expose()))
        .await
        .unwrap();
    assert_eq!(
        found.as_ref().map(|k| k.id.as_str()),
        Some(first.id.as_str())
    );
    assert!(!found.unwrap().livemode);

    let listed: Vec<String> = store
        .api_keys(&org)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&first.id) && listed.contains(&second.id));
    assert!(store.api_keys(&other).await.unwrap().is_empty());

    assert!(
        !store.revoke_api_key(&other, &first.id).await.unwrap(),
        "not the other org's to revoke"
    );
    assert!(store.revoke_api_key(&org, &first.id).await.unwrap());
    assert!(
        !store.revoke_api_key(&org, &first.id).await.unwrap(),
        "already revoked"
    );
    assert_eq!(
        store
            .active_api_key_by_hash(&hash_secret(secret.expose()))
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        api_keys::authenticate(&store, secret.expose()).await,
        Err(AuthError::Invalid)
    ));
    finish(db, store).await;
}

async fn a_key_authenticates_only_in_its_own_mode(engine: Engine) {
    let Some((db, store)) = open(engine, "a_key_authenticates_only_in_its_own_mode").await else {
        return;
    };
    let org = organization(&store).await;
    let (_, live) = api_keys::create(&store, &org, Mode::Live, "live")
        .await
        .unwrap();
    let principal = api_keys::authenticate(&store, live.expose()).await.unwrap();
    assert_eq!(principal.organization_id, org);
    assert_eq!(principal.mode, Mode::Live);
    // the same random part under the other prefix is another (unknown) key
    let forged = live.expose().replacen("sk_live_", "sk_test_", 1);
    assert!(matches!(
        api_keys::authenticate(&store, &forged).await,
        Err(AuthError::Invalid)
    ));
    assert!(matches!(
        api_keys::authenticate(&store, " ").await,
        Err(AuthError::Missing)
    ));
    finish(db, store).await;
}

async fn secret_hashes_are_unique(engine: Engine) {
    let Some((db, store)) = open(engine, "secret_hashes_are_unique").await else {
        return;
    };
    let org = organization(&store).await;
    let minted = MintedKey::generate(Mode::Test);
    store
        .insert_api_key(&minted.as_new(&org, Mode::Test, "a"))
        .await
        .unwrap();
    let again = NewApiKey {
        id: "key_other",
        ..minted.as_new(&org, Mode::Test, "b")
    };
    let error = store.insert_api_key(&again).await.unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
    finish(db, store).await;
}

async fn foreign_keys_are_enforced(engine: Engine) {
    let Some((db, store)) = open(engine, "foreign_keys_are_enforced").await else {
        return;
    };
    let minted = MintedKey::generate(Mode::Test);
    let error = store
        .insert_api_key(&minted.as_new("org_nobody", Mode::Test, "x"))
        .await;
    assert!(matches!(error, Err(StoreError::Database(_))), "{error:?}");
    let org = organization(&store).await;
    let error = store
        .insert_price(&one_time("price_x", &org, "prod_nothing", "x", false))
        .await;
    assert!(matches!(error, Err(StoreError::Database(_))), "{error:?}");
    finish(db, store).await;
}

async fn users_are_unique_by_email_case_insensitively(engine: Engine) {
    let Some((db, store)) = open(engine, "users_are_unique_by_email").await else {
        return;
    };
    let org = organization(&store).await;
    let user = store
        .insert_user_with_membership("user_a", "Ada@Example.com", "$argon2id$x", &org, "owner")
        .await
        .unwrap();
    assert_eq!(user.email, "ada@example.com");
    let found = store
        .user_by_email("ADA@example.COM")
        .await
        .unwrap()
        .expect("found by any case");
    assert_eq!(found.id, "user_a");
    assert_eq!(
        store.organizations_of_user("user_a").await.unwrap(),
        vec![org.clone()]
    );
    let error = store
        .insert_user_with_membership("user_b", "ada@example.com", "$argon2id$y", &org, "owner")
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
    // the failed sign-up left no membership behind
    assert!(
        store
            .organizations_of_user("user_b")
            .await
            .unwrap()
            .is_empty()
    );
    finish(db, store).await;
}

async fn price_slugs_are_unique_per_organization_and_mode(engine: Engine) {
    let Some((db, store)) = open(engine, "price_slugs_are_unique").await else {
        return;
    };
    let org = organization(&store).await;
    let other = organization(&store).await;
    store
        .insert_product(&product("prod_t", &org, false))
        .await
        .unwrap();
    store
        .insert_product(&product("prod_l", &org, true))
        .await
        .unwrap();
    store
        .insert_product(&product("prod_o", &other, false))
        .await
        .unwrap();

    store
        .insert_price(&one_time("price_1", &org, "prod_t", "basic", false))
        .await
        .unwrap();
    let error = store
        .insert_price(&one_time("price_2", &org, "prod_t", "basic", false))
        .await;
    assert!(matches!(error, Err(StoreError::Conflict(_))), "{error:?}");
    // the same slug in live mode, and in another organization, is another price
    store
        .insert_price(&one_time("price_3", &org, "prod_l", "basic", true))
        .await
        .unwrap();
    store
        .insert_price(&one_time("price_4", &other, "prod_o", "basic", false))
        .await
        .unwrap();

    let by_slug = store
        .price_by_slug(&org, true, "basic")
        .await
        .unwrap()
        .expect("live price");
    assert_eq!(by_slug.id, "price_3");
    assert_eq!(
        store.price(&org, false, "price_3").await.unwrap(),
        None,
        "live price in test mode"
    );
    assert_eq!(
        store.price(&other, false, "price_1").await.unwrap(),
        None,
        "another org's price"
    );
    let ids: Vec<String> = store
        .prices(&org, false)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, vec!["price_1".to_owned()]);
    finish(db, store).await;
}

async fn prices_keep_their_schedule_and_refuse_impossible_ones(engine: Engine) {
    let Some((db, store)) = open(engine, "prices_keep_their_schedule").await else {
        return;
    };
    let org = organization(&store).await;
    store
        .insert_product(&product("prod_s", &org, false))
        .await
        .unwrap();
    let monthly = NewPrice {
        price_type: PriceType::Subscription,
        recurring: Some((RecurringInterval::Month, 3)),
        trial_period_days: Some(14),
        unit_amount: 4_999_999_999,
        ..one_time("price_m", &org, "prod_s", "quarterly", false)
    };
    let inserted = store.insert_price(&monthly).await.unwrap();
    let read = store
        .price(&org, false, "price_m")
        .await
        .unwrap()
        .expect("found");
    assert_eq!(read, inserted);
    assert_eq!(read.interval_unit.as_deref(), Some("month"));
    assert_eq!(read.interval_count, Some(3));
    assert_eq!(
        read.unit_amount, 4_999_999_999,
        "amounts beyond 32 bits survive"
    );

    let no_interval = NewPrice {
        recurring: None,
        ..monthly.clone()
    };
    let no_interval = NewPrice {
        id: "price_bad",
        slug: "bad",
        ..no_interval
    };
    assert!(
        store.insert_price(&no_interval).await.is_err(),
        "a subscription needs an interval"
    );
    let negative = NewPrice {
        unit_amount: -1,
        ..one_time("price_neg", &org, "prod_s", "neg", false)
    };
    assert!(
        store.insert_price(&negative).await.is_err(),
        "amounts are never negative"
    );
    finish(db, store).await;
}

async fn the_demo_is_created_once_and_completely(engine: Engine) {
    let Some((db, store)) = open(engine, "the_demo_is_created_once").await else {
        return;
    };
    let first = demo::ensure(&store, "http://127.0.0.1:3000/")
        .await
        .unwrap();
    let second = demo::ensure(&store, "http://127.0.0.1:3000").await.unwrap();
    assert_eq!(
        first, second,
        "a second run reports the same organization, key and login"
    );
    assert_eq!(first.base_url, "http://127.0.0.1:3000");
    assert_eq!(first.dashboard.url, "http://127.0.0.1:3000/dashboard");
    assert!(first.secret_key.starts_with("sk_test_"));
    let principal = api_keys::authenticate(&store, &first.secret_key)
        .await
        .unwrap();
    assert_eq!(principal.organization_id, first.organization_id);
    let user = store
        .user_by_email(&first.dashboard.email)
        .await
        .unwrap()
        .expect("demo user");
    assert!(kassa::service::passwords::verify_password(
        &first.dashboard.password,
        &user.password_hash
    ));
    assert_eq!(first.prices.len(), 2);
    let types: Vec<PriceType> = first.prices.iter().map(|p| p.price_type).collect();
    assert!(types.contains(&PriceType::SinglePayment) && types.contains(&PriceType::Subscription));
    assert!(
        first
            .prices
            .iter()
            .all(|p| p.currency == "usd" && p.unit_amount > 0 && !p.slug.is_empty())
    );
    finish(db, store).await;
}

async fn concurrent_writes_all_land(engine: Engine) {
    let Some((db, store)) = open(engine, "concurrent_writes_all_land").await else {
        return;
    };
    let org = organization(&store).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64 {
        let store = store.clone();
        let org = org.clone();
        tasks.spawn(async move {
            let id = format!("prod_{i}");
            store
                .insert_product(&product(&id, &org, false))
                .await
                .map(|_| ())
        });
    }
    while let Some(result) = tasks.join_next().await {
        result
            .expect("task ran")
            .expect("no write failed, busy or otherwise");
    }
    for i in 0..64 {
        assert!(
            store
                .product(&org, false, &format!("prod_{i}"))
                .await
                .unwrap()
                .is_some()
        );
    }
    finish(db, store).await;
}
