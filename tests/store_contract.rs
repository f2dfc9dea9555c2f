//! The storage contract: every test runs on SQLite and on PostgreSQL (when
//! `KASSA_TEST_POSTGRES_URL` is set), against a fresh database of its own.

mod support;

use kassa::domain::catalog::{
    Coupon, CouponDuration, CouponValue, Plan, PlanItem, PromotionCode, Recurring, TaxRate,
};
use kassa::domain::customer::BillingAddress;
use kassa::domain::session::{
    AdjustableQuantity, AmountSummary, AppliedDiscount, Attribution, CheckoutSession, Confirmation,
    PaymentMethodType, SessionKind, SessionLineItem, SessionMode, SessionStatus,
};
use kassa::domain::{Currency, Mode, Money, PriceType, Rate, RecurringInterval};
use kassa::service::api_keys::{self, AuthError, MintedKey, hash_secret};
use kassa::service::{demo, ids::new_id};
use kassa::store::{
    CACHE_TTL, CustomerChanges, Engine, NewApiKey, NewCustomer, NewPrice, NewProduct,
    NewSubscription, PageRequest, PriceChanges, ProductChanges, Store, StoreError, TaxRateChanges,
    TaxRateDetails, now_ms,
};
use support::TestDb;

on_both_engines!(
    migrations_are_idempotent_and_the_database_answers,
    organizations_round_trip,
    the_storefront_names_the_merchant_as_buyers_read_it,
    api_keys_are_found_by_hash_until_revoked,
    unknown_keys_are_answered_from_memory_for_a_while,
    the_installation_key_is_one_per_purpose_for_every_instance,
    a_change_made_through_another_instance_arrives_within_the_cache_ttl,
    a_key_authenticates_only_in_its_own_mode,
    secret_hashes_are_unique,
    foreign_keys_are_enforced,
    users_are_unique_by_email_case_insensitively,
    price_slugs_are_unique_per_organization_and_mode,
    prices_keep_their_schedule_and_refuse_impossible_ones,
    the_demo_is_created_once_and_completely,
    concurrent_writes_all_land,
    each_organization_and_mode_has_one_default_pricing_model,
    products_and_prices_change_but_keep_their_slugs_unique,
    customers_are_unique_by_external_id_per_mode,
    coupons_promotion_codes_tax_rates_and_plans_round_trip,
    subscriptions_are_scoped_to_their_organization,
    sessions_round_trip_whole,
    open_sessions_change_terms_and_confirm_only_once,
    a_payment_priced_before_the_terms_changed_does_not_claim_the_session,
    due_mails_are_held_by_one_worker_at_a_time,
    a_write_that_fails_fails_its_whole_transaction,
    sessions_are_listed_newest_first_in_keyset_pages,
    of_racing_status_changes_exactly_one_wins,
    a_session_applies_the_tax_rates_in_effect_when_it_was_made,
    rates_past_what_is_kept_in_memory_apply_the_same,
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

/// The organization's default pricing model in a mode.
async fn model(store: &Store, org: &str, livemode: bool) -> String {
    store
        .default_pricing_model(org, livemode, &new_id("pricing_model"))
        .await
        .expect("a pricing model")
        .id
}

fn product<'a>(id: &'a str, org: &'a str, livemode: bool, model: &'a str) -> NewProduct<'a> {
    NewProduct {
        id,
        organization_id: org,
        livemode,
        pricing_model_id: model,
        name: "Widget",
        description: None,
        image_url: None,
        slug: id,
        is_default: false,
        singular_quantity_label: None,
        plural_quantity_label: None,
        active: true,
    }
}

fn one_time<'a>(
    id: &'a str,
    org: &'a str,
    model: &'a str,
    product: &'a str,
    slug: &'a str,
    livemode: bool,
) -> NewPrice<'a> {
    NewPrice {
        id,
        organization_id: org,
        livemode,
        pricing_model_id: model,
        product_id: product,
        name: None,
        slug: Some(slug),
        price_type: PriceType::SinglePayment,
        unit_amount: 1000,
        currency: "usd",
        recurring: None,
        trial_period_days: None,
        is_default: false,
        active: true,
    }
}

/// PostgreSQL only (SQLite's connections are to a file and do not drop): a pooled connection the
/// server dropped while it sat idle is checked and replaced when next acquired, so the request
/// that gets it does not fail. A connection used moments ago is not checked (sqlx would ping on
/// every acquire otherwise, a round trip per request); the first half shows that check is what
/// saves the second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_connection_dropped_while_idle_is_replaced_before_use() {
    let test = "postgres_a_connection_dropped_while_idle_is_replaced_before_use";
    let Some(db) = TestDb::fresh(Engine::Postgres, test).await else {
        return;
    };
    let connect = |check_idle_after| {
        let url = db.url.clone();
        async move {
            let settings = kassa::store::PoolSettings {
                max_connections: 1,
                check_idle_after,
                ..Default::default()
            };
            Store::connect(&url, &settings).await.expect("connects")
        }
    };
    let drop_connections = || async {
        let (admin_url, name) = db.postgres_admin().expect("a Postgres test database");
        let admin = sqlx::PgPool::connect(admin_url).await.unwrap();
        let dropped: Vec<bool> = sqlx::query_scalar(
            // Waits (up to 5 s) until each backend has exited, not only signalled it.
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(name)
        .fetch_all(&admin)
        .await
        .unwrap();
        admin.close().await;
        // The store's one connection; a connection of a store closed just before may still be
        // on its way out and be listed too.
        assert!(
            dropped.contains(&true),
            "the store's connection was dropped: {dropped:?}"
        );
        // Idle for longer than the checked store's threshold.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    };

    // Checked only after an hour idle: the dropped connection is handed out and fails once.
    let unchecked = connect(std::time::Duration::from_secs(3600)).await;
    unchecked.ping().await.expect("answers");
    drop_connections().await;
    assert!(
        unchecked.ping().await.is_err(),
        "the dead connection was used"
    );
    unchecked.ping().await.expect("a new connection answers");
    unchecked.close().await;

    // Checked after 100 ms idle: the dropped connection is replaced before anyone uses it.
    let checked = connect(std::time::Duration::from_millis(100)).await;
    checked.ping().await.expect("answers");
    drop_connections().await;
    checked
        .ping()
        .await
        .expect("the pool replaced the dropped connection");
    checked.close().await;
    db.drop_db().await;
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

/// What buyers read: the organization's name until its branding gives a display name, then that,
/// with the rest of the branding, in one read.
async fn the_storefront_names_the_merchant_as_buyers_read_it(engine: Engine) {
    let Some((db, store)) = open(engine, "storefront").await else {
        return;
    };
    let id = organization(&store).await;
    let plain = store.storefront(&id).await.unwrap();
    assert_eq!(plain.merchant_name, "Acme");
    assert_eq!(plain.branding, kassa::store::Branding::default());
    let branding = kassa::store::Branding {
        display_name: Some("Acme Coffee".into()),
        accent_color: Some("#112233".into()),
        logo_url: Some("https://acme.example/logo.png".into()),
        terms_url: Some("https://acme.example/terms".into()),
    };
    store.set_branding(&id, &branding).await.unwrap();
    let branded = store.storefront(&id).await.unwrap();
    assert_eq!(branded.merchant_name, "Acme Coffee");
    assert_eq!(branded.branding, branding);
    assert_eq!(store.branding(&id).await.unwrap(), branding);
    assert_eq!(
        store.storefront("org_missing").await.unwrap().merchant_name,
        ""
    );
    finish(db, store).await;
}

/// Two kassa instances on one database (as several share one PostgreSQL): each keeps copies of keys
/// and prices, cleared at once by a change made through it, and by one made through the other
/// within `CACHE_TTL`.
async fn a_change_made_through_another_instance_arrives_within_the_cache_ttl(engine: Engine) {
    let Some((db, one)) = open(engine, "cache_across_instances").await else {
        return;
    };
    let two = db.store().await;
    let org = organization(&one).await;
    let m = model(&one, &org, false).await;
    one.insert_product(&product("prod_c", &org, false, &m))
        .await
        .unwrap();
    one.insert_price(&one_time("price_c", &org, &m, "prod_c", "c", false))
        .await
        .unwrap();
    let (key, secret) = api_keys::create(&one, &org, Mode::Test, "k").await.unwrap();
    let hash = hash_secret(secret.expose());
    let taxed = |store: &Store| {
        let (store, org) = (store.clone(), org.clone());
        async move {
            let rates = store.tax_rates_at(&org, false, now_ms()).await.unwrap();
            rates.into_iter().map(|r| r.id).collect::<Vec<_>>()
        }
    };
    // Both instances read, and so keep copies.
    for store in [&one, &two] {
        assert_eq!(store.storefront(&org).await.unwrap().merchant_name, "Acme");
        assert_eq!(store.test_mode_processor(&org).await.unwrap(), "kassa");
        assert!(taxed(store).await.is_empty());
        assert!(store.active_api_key_by_hash(&hash).await.unwrap().is_some());
        assert!(
            store
                .price(&org, false, "price_c")
                .await
                .unwrap()
                .unwrap()
                .active
        );
        // A copy is still only the owner's, in the owner's mode.
        assert_eq!(store.price(&org, true, "price_c").await.unwrap(), None);
        assert_eq!(
            store.price("org_other", false, "price_c").await.unwrap(),
            None
        );
    }

    assert!(one.revoke_api_key(&org, &key.id).await.unwrap());
    let archive = PriceChanges {
        active: Some(false),
        ..Default::default()
    };
    one.update_price(&org, false, "price_c", &archive)
        .await
        .unwrap();
    let renamed = kassa::store::Branding {
        display_name: Some("Acme Coffee".into()),
        ..Default::default()
    };
    one.set_branding(&org, &renamed).await.unwrap();
    one.set_test_mode_processor(&org, "stripe").await.unwrap();
    let vat = TaxRate {
        id: "txr_c".into(),
        display_name: "VAT".into(),
        rate: Rate::parse_percent("20").unwrap(),
        inclusive: false,
        country: None,
        active: true,
    };
    one.insert_tax_rate(&org, false, &vat, &TaxRateDetails::default())
        .await
        .unwrap();
    // The instance that made the change sees it at once.
    assert_eq!(
        one.storefront(&org).await.unwrap().merchant_name,
        "Acme Coffee"
    );
    assert_eq!(one.test_mode_processor(&org).await.unwrap(), "stripe");
    assert_eq!(
        two.test_mode_processor(&org).await.unwrap(),
        "kassa",
        "the other serves its copy until it expires"
    );
    assert_eq!(taxed(&one).await, ["txr_c"]);
    assert_eq!(one.active_api_key_by_hash(&hash).await.unwrap(), None);
    assert!(
        !one.price(&org, false, "price_c")
            .await
            .unwrap()
            .unwrap()
            .active
    );
    // The other, once its copies expire.
    tokio::time::sleep(CACHE_TTL + std::time::Duration::from_millis(50)).await;
    assert_eq!(
        two.storefront(&org).await.unwrap().merchant_name,
        "Acme Coffee"
    );
    assert_eq!(two.test_mode_processor(&org).await.unwrap(), "stripe");
    assert_eq!(taxed(&two).await, ["txr_c"]);
    assert_eq!(two.active_api_key_by_hash(&hash).await.unwrap(), None);
    assert!(
        !two.price(&org, false, "price_c")
            .await
            .unwrap()
            .unwrap()
            .active
    );
    two.close().await;
    finish(db, one).await;
}

async fn the_installation_key_is_one_per_purpose_for_every_instance(engine: Engine) {
    let Some((db, one)) = open(engine, "installation_key").await else {
        return;
    };
    let two = db.store().await;
    // Both instances ask at once: one secret is made, and both derive the same keys from it.
    let (a, b) = tokio::join!(
        one.installation_key("fingerprints"),
        two.installation_key("fingerprints")
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    assert_ne!(a, one.installation_key("notices").await.unwrap());
    assert_eq!(a, one.installation_key("fingerprints").await.unwrap());
    // Another database, another installation.
    let Some((other_db, other)) = open(engine, "installation_key_other").await else {
        return;
    };
    assert_ne!(a, other.installation_key("fingerprints").await.unwrap());
    finish(other_db, other).await;
    two.close().await;
    finish(db, one).await;
}

/// A secret no key has is remembered as unknown: asked again, the store answers without reading
/// the database (a key added meanwhile by another instance is not seen, which only a guesser
/// could notice: a real key's secret is never presented before it exists).
async fn unknown_keys_are_answered_from_memory_for_a_while(engine: Engine) {
    let Some((db, one)) = open(engine, "unknown_keys_remembered").await else {
        return;
    };
    let two = db.store().await;
    let org = organization(&one).await;
    let minted = MintedKey::generate(Mode::Test);
    let hash = hash_secret(minted.secret.expose());
    assert_eq!(one.active_api_key_by_hash(&hash).await.unwrap(), None);
    two.insert_api_key(&minted.as_new(&org, Mode::Test, "late"))
        .await
        .unwrap();
    assert!(two.active_api_key_by_hash(&hash).await.unwrap().is_some());
    assert_eq!(
        one.active_api_key_by_hash(&hash).await.unwrap(),
        None,
        "answered from memory"
    );
    two.close().await;
    finish(db, one).await;
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
    let m = model(&store, &org, false).await;
    let error = store
        .insert_price(&one_time("price_x", &org, &m, "prod_nothing", "x", false))
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
    let test_model = model(&store, &org, false).await;
    let live_model = model(&store, &org, true).await;
    let other_model = model(&store, &other, false).await;
    store
        .insert_product(&product("prod_t", &org, false, &test_model))
        .await
        .unwrap();
    store
        .insert_product(&product("prod_l", &org, true, &live_model))
        .await
        .unwrap();
    store
        .insert_product(&product("prod_o", &other, false, &other_model))
        .await
        .unwrap();

    store
        .insert_price(&one_time(
            "price_1",
            &org,
            &test_model,
            "prod_t",
            "basic",
            false,
        ))
        .await
        .unwrap();
    let error = store
        .insert_price(&one_time(
            "price_2",
            &org,
            &test_model,
            "prod_t",
            "basic",
            false,
        ))
        .await;
    assert!(matches!(error, Err(StoreError::Conflict(_))), "{error:?}");
    // the same slug in live mode, and in another organization, is another price
    store
        .insert_price(&one_time(
            "price_3",
            &org,
            &live_model,
            "prod_l",
            "basic",
            true,
        ))
        .await
        .unwrap();
    store
        .insert_price(&one_time(
            "price_4",
            &other,
            &other_model,
            "prod_o",
            "basic",
            false,
        ))
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
    let page = PageRequest {
        limit: 10,
        after: None,
    };
    let ids: Vec<String> = store
        .prices(&org, false, &page)
        .await
        .unwrap()
        .items
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
    let m = model(&store, &org, false).await;
    store
        .insert_product(&product("prod_s", &org, false, &m))
        .await
        .unwrap();
    let quarterly = Recurring {
        interval: RecurringInterval::Month,
        interval_count: 3,
    };
    let monthly = NewPrice {
        price_type: PriceType::Subscription,
        recurring: Some(quarterly),
        trial_period_days: Some(14),
        unit_amount: 4_999_999_999,
        ..one_time("price_m", &org, &m, "prod_s", "quarterly", false)
    };
    let inserted = store.insert_price(&monthly).await.unwrap();
    let read = store
        .price(&org, false, "price_m")
        .await
        .unwrap()
        .expect("found");
    assert_eq!(read, inserted);
    assert_eq!(
        read.unit_amount, 4_999_999_999,
        "amounts beyond 32 bits survive"
    );
    let domain = read.to_domain().unwrap();
    assert_eq!(
        domain.unit_amount,
        Money::new(4_999_999_999, Currency::parse("usd").unwrap())
    );
    assert_eq!(domain.recurring, Some(quarterly));
    assert_eq!(domain.trial_period_days, Some(14));

    let no_interval = NewPrice {
        id: "price_bad",
        slug: Some("bad"),
        recurring: None,
        ..monthly.clone()
    };
    assert!(
        store.insert_price(&no_interval).await.is_err(),
        "a subscription needs an interval"
    );
    let negative = NewPrice {
        unit_amount: -1,
        ..one_time("price_neg", &org, &m, "prod_s", "neg", false)
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
    // A second run reports the same organization, key and email, with a fresh password: the
    // database keeps only its hash (and nothing of the first one).
    assert_ne!(first.dashboard.password, second.dashboard.password);
    let mut same = second.clone();
    same.dashboard.password = first.dashboard.password.clone();
    assert_eq!(first, same);
    let first_password = first.dashboard.password.clone();
    let first = second;
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
    assert!(!kassa::service::passwords::verify_password(
        &first_password,
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
    let m = model(&store, &org, false).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64 {
        let (store, org, m) = (store.clone(), org.clone(), m.clone());
        tasks.spawn(async move {
            let id = format!("prod_{i}");
            store
                .insert_product(&product(&id, &org, false, &m))
                .await
                .map(|_| ())
        });
    }
    while let Some(result) = tasks.join_next().await {
        result
            .expect("task ran")
            .expect("no write failed, busy or otherwise");
    }
    assert_eq!(store.count_products(&org, false).await.unwrap(), 64);
    finish(db, store).await;
}

async fn each_organization_and_mode_has_one_default_pricing_model(engine: Engine) {
    let Some((db, store)) = open(engine, "one_default_pricing_model").await else {
        return;
    };
    let org = organization(&store).await;
    let first = store
        .default_pricing_model(&org, false, "pricing_model_a")
        .await
        .unwrap();
    let again = store
        .default_pricing_model(&org, false, "pricing_model_b")
        .await
        .unwrap();
    assert_eq!(first, again, "made once, then found");
    assert_eq!(first.id, "pricing_model_a");
    let live = store
        .default_pricing_model(&org, true, "pricing_model_c")
        .await
        .unwrap();
    assert_ne!(live.id, first.id);
    // racing first uses agree on one model
    let other = organization(&store).await;
    let (a, b) = tokio::join!(
        store.default_pricing_model(&other, false, "pricing_model_x"),
        store.default_pricing_model(&other, false, "pricing_model_y"),
    );
    assert_eq!(a.unwrap().id, b.unwrap().id);
    finish(db, store).await;
}

async fn products_and_prices_change_but_keep_their_slugs_unique(engine: Engine) {
    let Some((db, store)) = open(engine, "products_and_prices_change").await else {
        return;
    };
    let org = organization(&store).await;
    let m = model(&store, &org, false).await;
    store
        .insert_product(&product("prod_a", &org, false, &m))
        .await
        .unwrap();
    store
        .insert_product(&product("prod_b", &org, false, &m))
        .await
        .unwrap();
    let changed = store
        .update_product(
            &org,
            false,
            "prod_a",
            &ProductChanges {
                name: Some("Renamed".into()),
                description: Some(Some("Now described".into())),
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .expect("found");
    assert_eq!(
        (
            changed.name.as_str(),
            changed.description.as_deref(),
            changed.active
        ),
        ("Renamed", Some("Now described"), false)
    );
    assert_eq!(
        store.product(&org, false, "prod_a").await.unwrap().unwrap(),
        changed
    );
    let clash = store
        .update_product(
            &org,
            false,
            "prod_a",
            &ProductChanges {
                slug: Some("prod_b".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    assert_eq!(
        store
            .update_product(&org, true, "prod_a", &ProductChanges::default())
            .await
            .unwrap(),
        None,
        "not in live mode"
    );

    let (_, with_price) = store
        .insert_product_with_price(
            &product("prod_c", &org, false, &m),
            &one_time("price_c", &org, &m, "prod_c", "c", false),
        )
        .await
        .unwrap();
    assert_eq!(
        store.prices_of_product("prod_c").await.unwrap(),
        vec![with_price]
    );
    let archived = store
        .update_price(
            &org,
            false,
            "price_c",
            &PriceChanges {
                active: Some(false),
                slug: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!archived.active);
    assert_eq!(archived.slug, None);
    assert_eq!(store.price_by_slug(&org, false, "c").await.unwrap(), None);
    assert_eq!(store.count_products(&org, false).await.unwrap(), 3);
    assert_eq!(store.count_prices(&org, false).await.unwrap(), 1);
    finish(db, store).await;
}

fn customer<'a>(
    id: &'a str,
    org: &'a str,
    model: &'a str,
    external_id: Option<&'a str>,
    livemode: bool,
) -> NewCustomer<'a> {
    NewCustomer {
        id,
        organization_id: org,
        livemode,
        pricing_model_id: model,
        external_id,
        email: Some("ada@example.com"),
        name: Some("Ada"),
        billing_address: None,
        logo_url: None,
        icon_url: None,
        domain: None,
        user_id: None,
        archived: false,
        phone: None,
        shipping: None,
        preferred_locale: None,
    }
}

async fn customers_are_unique_by_external_id_per_mode(engine: Engine) {
    let Some((db, store)) = open(engine, "customers_are_unique").await else {
        return;
    };
    let org = organization(&store).await;
    let (m, live) = (
        model(&store, &org, false).await,
        model(&store, &org, true).await,
    );
    let address = BillingAddress {
        postal_code: Some("10115".into()),
        country: "DE".into(),
        ..Default::default()
    };
    let inserted = store
        .insert_customer(&NewCustomer {
            billing_address: Some(&address),
            ..customer("cus_a", &org, &m, Some("u1"), false)
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .customer_by_external_id(&org, false, "u1")
            .await
            .unwrap(),
        Some(inserted.clone())
    );
    assert_eq!(inserted.billing_address(), Some(address));
    let clash = store
        .insert_customer(&customer("cus_b", &org, &m, Some("u1"), false))
        .await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    store
        .insert_customer(&customer("cus_c", &org, &live, Some("u1"), true))
        .await
        .expect("live mode is apart");
    // guests have no external id; many may
    store
        .insert_customer(&customer("cus_d", &org, &m, None, false))
        .await
        .unwrap();
    store
        .insert_customer(&customer("cus_e", &org, &m, None, false))
        .await
        .unwrap();

    let updated = store
        .update_customer_by_external_id(
            &org,
            false,
            "u1",
            &CustomerChanges {
                name: Some("Ada Lovelace".into()),
                domain: Some(Some("example.com".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (updated.name.as_deref(), updated.domain.as_deref()),
        (Some("Ada Lovelace"), Some("example.com"))
    );
    assert_eq!(
        store.customer(&org, false, "cus_a").await.unwrap(),
        Some(updated)
    );
    assert_eq!(store.customer(&org, true, "cus_a").await.unwrap(), None);
    assert_eq!(store.count_customers(&org, false).await.unwrap(), 3);
    finish(db, store).await;
}

async fn coupons_promotion_codes_tax_rates_and_plans_round_trip(engine: Engine) {
    let Some((db, store)) = open(engine, "coupons_and_codes").await else {
        return;
    };
    let org = organization(&store).await;
    let usd = Currency::parse("usd").unwrap();
    let percent = Coupon {
        id: "coupon_p".into(),
        name: Some("Launch".into()),
        value: CouponValue::PercentOff(Rate::parse_percent("12.5").unwrap()),
        duration: CouponDuration::Repeating { months: 3 },
        max_redemptions: Some(10),
        times_redeemed: 0,
        redeem_by: Some(1_900_000_000_000),
        active: true,
    };
    let amount = Coupon {
        id: "coupon_a".into(),
        name: None,
        value: CouponValue::AmountOff(Money::new(500, usd)),
        duration: CouponDuration::Once,
        max_redemptions: None,
        times_redeemed: 0,
        redeem_by: None,
        active: true,
    };
    store.insert_coupon(&org, false, &percent).await.unwrap();
    store.insert_coupon(&org, false, &amount).await.unwrap();
    assert_eq!(
        store.coupon(&org, false, "coupon_p").await.unwrap(),
        Some(percent)
    );
    assert_eq!(
        store.coupon(&org, false, "coupon_a").await.unwrap(),
        Some(amount)
    );
    assert_eq!(store.coupon(&org, true, "coupon_a").await.unwrap(), None);

    let code = PromotionCode {
        id: "promo_1".into(),
        code: "Spring25".into(),
        coupon_id: "coupon_p".into(),
        active: true,
        max_redemptions: Some(1),
        times_redeemed: 0,
        expires_at: None,
    };
    store
        .insert_promotion_code(&org, false, &code)
        .await
        .unwrap();
    let found = store
        .promotion_code(&org, false, " spring25 ")
        .await
        .unwrap()
        .expect("matched without case");
    assert_eq!(
        (found.id.as_str(), found.code.as_str()),
        ("promo_1", "SPRING25")
    );
    let again = PromotionCode {
        id: "promo_2".into(),
        code: "SPRING25".into(),
        ..code
    };
    assert!(matches!(
        store.insert_promotion_code(&org, false, &again).await,
        Err(StoreError::Conflict(_))
    ));

    let vat = TaxRate {
        id: "txr_de".into(),
        display_name: "USt".into(),
        rate: Rate::parse_percent("19").unwrap(),
        inclusive: true,
        country: Some("DE".into()),
        active: true,
    };
    let made = store
        .insert_tax_rate(&org, false, &vat, &TaxRateDetails::default())
        .await
        .unwrap();
    assert_eq!(made.to_domain(), vat);
    assert_eq!(
        store
            .tax_rates_at(&org, false, made.created_at)
            .await
            .unwrap(),
        vec![vat.clone()]
    );

    let m = model(&store, &org, false).await;
    store
        .insert_product(&product("prod_p", &org, false, &m))
        .await
        .unwrap();
    store
        .insert_price(&one_time("price_p", &org, &m, "prod_p", "p", false))
        .await
        .unwrap();
    let plan = Plan {
        id: "plan_1".into(),
        name: "Starter".into(),
        currency: usd,
        items: vec![PlanItem {
            price_id: "price_p".into(),
            quantity: 2,
        }],
        active: true,
    };
    store.insert_plan(&org, false, &plan).await.unwrap();
    assert_eq!(
        store.plan(&org, false, "plan_1").await.unwrap(),
        Some(plan.clone())
    );
    assert_eq!(store.plan(&org, true, "plan_1").await.unwrap(), None);
    // The list pairs every plan with its own items, in order.
    store
        .insert_price(&one_time("price_q", &org, &m, "prod_p", "q", false))
        .await
        .unwrap();
    let second = Plan {
        id: "plan_2".into(),
        name: "Team".into(),
        currency: usd,
        items: vec![
            PlanItem {
                price_id: "price_q".into(),
                quantity: 5,
            },
            PlanItem {
                price_id: "price_p".into(),
                quantity: 1,
            },
        ],
        active: true,
    };
    store.insert_plan(&org, false, &second).await.unwrap();
    let listed = store.plans(&org, false).await.unwrap();
    let mut expected = vec![plan, second];
    let by_id = |a: &Plan, b: &Plan| a.id.cmp(&b.id);
    let mut listed_sorted = listed.clone();
    listed_sorted.sort_by(by_id);
    expected.sort_by(by_id);
    assert_eq!(listed_sorted, expected);
    assert!(store.plans(&org, true).await.unwrap().is_empty());
    finish(db, store).await;
}

async fn subscriptions_are_scoped_to_their_organization(engine: Engine) {
    let Some((db, store)) = open(engine, "subscriptions_are_scoped").await else {
        return;
    };
    let org = organization(&store).await;
    let other = organization(&store).await;
    let m = model(&store, &org, false).await;
    store
        .insert_product(&product("prod_s", &org, false, &m))
        .await
        .unwrap();
    store
        .insert_price(&one_time("price_s", &org, &m, "prod_s", "s", false))
        .await
        .unwrap();
    store
        .insert_customer(&customer("cus_s", &org, &m, Some("u"), false))
        .await
        .unwrap();
    let inserted = store
        .insert_subscription(&NewSubscription {
            id: "sub_1",
            organization_id: &org,
            livemode: false,
            customer_id: "cus_s",
            price_id: "price_s",
            quantity: 1,
            status: "incomplete",
            name: None,
            item_id: "si_1",
            unit_amount: 1500,
            currency: "usd",
        })
        .await
        .unwrap();
    assert!(inserted.awaits_activation());
    // Its price is its one item, at the amount it was sold for.
    let items = store.subscription_items(&["sub_1"]).await.unwrap();
    assert_eq!(
        items
            .iter()
            .map(|i| (
                i.id.as_str(),
                i.price_id.as_str(),
                i.quantity,
                i.unit_amount,
                i.position
            ))
            .collect::<Vec<_>>(),
        vec![("si_1", "price_s", 1, 1500, 0)]
    );
    assert!(store.subscription_items(&[]).await.unwrap().is_empty());
    assert_eq!(
        store.subscription(&org, false, "sub_1").await.unwrap(),
        Some(inserted)
    );
    assert_eq!(
        store.subscription(&other, false, "sub_1").await.unwrap(),
        None
    );
    finish(db, store).await;
}

/// A session with every optional part filled, so a round trip proves each column.
fn full_session(
    id: &str,
    org: &str,
    model: &str,
    price: &str,
    product: &str,
    created_at: i64,
) -> CheckoutSession {
    let usd = Currency::parse("usd").unwrap();
    CheckoutSession {
        id: id.into(),
        organization_id: org.into(),
        livemode: false,
        pricing_model_id: model.into(),
        kind: SessionKind::Purchase,
        mode: SessionMode::Subscription,
        status: SessionStatus::Open,
        currency: Some(usd),
        line_items: vec![SessionLineItem {
            price_id: price.into(),
            product_id: product.into(),
            description: "Widget".into(),
            quantity: 3,
            adjustable: Some(AdjustableQuantity {
                minimum: 1,
                maximum: 10,
            }),
            unit_amount: Money::new(1000, usd),
            recurring: Some(Recurring {
                interval: RecurringInterval::Year,
                interval_count: 1,
            }),
        }],
        customer_id: None,
        customer_external_id: None,
        anonymous: true,
        guest: None,
        customer_email: Some("ada@example.com".into()),
        customer_name: Some("Ada".into()),
        billing_address: Some(BillingAddress {
            country: "US".into(),
            postal_code: Some("94107".into()),
            ..Default::default()
        }),
        success_url: Some("https://shop.example/ok?s={CHECKOUT_SESSION_ID}".into()),
        cancel_url: Some("https://shop.example/cancel".into()),
        pending_url: None,
        payment_method_types: vec![PaymentMethodType::Card, PaymentMethodType::Link],
        payment_method_type: None,
        allow_promotion_codes: false,
        discount: Some(AppliedDiscount {
            coupon_id: "coupon_s".into(),
            promotion_code_id: None,
            duration: CouponDuration::Forever,
        }),
        trial_period_days: Some(14),
        preserve_billing_cycle_anchor: true,
        target_subscription_id: None,
        automatically_update_subscriptions: Some(false),
        output_name: Some("Widget plan".into()),
        output_metadata: Some(serde_json::from_str(r#"{"plan": "pro", "seats": 3}"#).unwrap()),
        metadata: serde_json::from_str(r#"{"order": "42", "gift": true}"#).unwrap(),
        attribution: Some(Attribution {
            utm_source: Some("newsletter".into()),
            ..Default::default()
        }),
        trace_id: Some("trace-1".into()),
        client_reference_id: Some("cart-42".into()),
        collection: kassa::domain::address::Collection {
            billing_address: kassa::domain::address::BillingAddressCollection::Required,
            shipping_countries: Some(vec!["US".into(), "DE".into()]),
            phone: true,
            payment_method_save: false,
            custom_fields: kassa::domain::custom_field::check_custom_fields(vec![
                kassa::domain::custom_field::CustomFieldDraft {
                    key: Some("engraving".into()),
                    label: Some("Engraving".into()),
                    kind: Some("text".into()),
                    maximum_length: Some(20),
                    ..Default::default()
                },
            ])
            .unwrap(),
            terms_of_service: true,
            tax_id: true,
            tax_id_required: true,
        },
        customer_phone: None,
        customer_tax_ids: vec![kassa::domain::tax_id::TaxId {
            kind: "eu_vat".into(),
            value: "DE123456789".into(),
        }],
        shipping_details: None,
        payment_link_id: Some("plink_test_1".into()),
        origin: kassa::domain::session::Origin::PaymentLink,
        locale: Some("de".to_owned()),
        answers: Some(kassa::domain::custom_field::Answers {
            custom: vec![kassa::domain::custom_field::CustomAnswer {
                key: "engraving".into(),
                value: "For Ada".into(),
            }],
            terms_of_service_accepted: true,
        }),
        plan_id: None,
        starts_at: Some(created_at + 3_600_000),
        confirmation: None,
        cancelled_at: None,
        amounts: AmountSummary {
            subtotal: 3000,
            discount: 300,
            tax: 0,
            total: 2700,
            due_today: 0,
        },
        expires_at: created_at + 86_400_000,
        created_at,
        updated_at: created_at,
        completed_at: None,
        purchase_id: None,
        invoice_id: None,
        subscription_id: None,
        payment_method_id: None,
    }
}

/// An organization with a product, a price and a coupon for sessions to point at.
async fn session_catalog(store: &Store) -> (String, String) {
    let org = organization(store).await;
    let m = model(store, &org, false).await;
    store
        .insert_product(&product("prod_w", &org, false, &m))
        .await
        .unwrap();
    store
        .insert_price(&one_time("price_w", &org, &m, "prod_w", "w", false))
        .await
        .unwrap();
    let coupon = Coupon {
        id: "coupon_s".into(),
        name: None,
        value: CouponValue::PercentOff(Rate::parse_percent("10").unwrap()),
        duration: CouponDuration::Forever,
        max_redemptions: None,
        times_redeemed: 0,
        redeem_by: None,
        active: true,
    };
    store.insert_coupon(&org, false, &coupon).await.unwrap();
    (org, m)
}

async fn sessions_round_trip_whole(engine: Engine) {
    let Some((db, store)) = open(engine, "sessions_round_trip").await else {
        return;
    };
    let (org, m) = session_catalog(&store).await;
    let session = full_session(
        "cs_test_a",
        &org,
        &m,
        "price_w",
        "prod_w",
        1_795_000_000_000,
    );
    store.insert_session(&session, None).await.unwrap();
    assert_eq!(
        store.session(&org, false, "cs_test_a").await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(
        store.session_by_id("cs_test_a").await.unwrap(),
        Some(session)
    );
    assert_eq!(
        store.session(&org, true, "cs_test_a").await.unwrap(),
        None,
        "not in live mode"
    );
    assert_eq!(
        store
            .session("org_other", false, "cs_test_a")
            .await
            .unwrap(),
        None,
        "not another org's"
    );
    assert_eq!(store.session_by_id("cs_test_missing").await.unwrap(), None);
    finish(db, store).await;
}

async fn a_payment_priced_before_the_terms_changed_does_not_claim_the_session(engine: Engine) {
    let Some((db, store)) = open(engine, "claim_unchanged").await else {
        return;
    };
    let (org, m) = session_catalog(&store).await;
    let created = 1_795_000_000_000;
    let session = full_session("cs_test_c", &org, &m, "price_w", "prod_w", created);
    store.insert_session(&session, None).await.unwrap();
    // The buyer's confirm read the session; then the merchant replaced its terms.
    let mut changed = session.clone();
    changed.line_items[0].quantity = 5;
    changed.amounts.total = 9_000;
    changed.updated_at = created + 1;
    assert!(
        store
            .replace_open_session(&changed, created + 1)
            .await
            .unwrap()
    );
    let claim = |seen: i64, attempt: &'static str| {
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            let claimed = tx
                .claim_session("cs_test_c", attempt, created + 2, 60_000, Some(seen))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            claimed
        }
    };
    assert!(
        !claim(session.updated_at, "att_old").await,
        "priced from the old terms: not claimed"
    );
    assert_eq!(
        store.session_claimed_until("cs_test_c").await.unwrap(),
        None,
        "nothing written"
    );
    assert!(
        claim(changed.updated_at, "att_new").await,
        "priced from the terms as they are"
    );
    finish(db, store).await;
}

/// The mail worker claims the due mails in one statement; two workers (instances) asking at once
/// never hold the same mail, and a held mail is claimed again only when its hold has run out.
async fn due_mails_are_held_by_one_worker_at_a_time(engine: Engine) {
    let Some((db, store)) = open(engine, "mail_claims").await else {
        return;
    };
    let org = organization(&store).await;
    let now = 1_795_000_000_000;
    let mut tx = store.begin().await.unwrap();
    for i in 0..30 {
        let (id, about) = (format!("mail_{i:02}"), format!("pay_{i:02}"));
        tx.queue_mail(
            &kassa::store::NewMail {
                id: &id,
                organization_id: &org,
                livemode: false,
                customer_id: None,
                kind: "receipt",
                about: &about,
                recipient: "ada@example.com",
                facts: "{}",
            },
            // Due one millisecond apart, the first first.
            now + i,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let lease = 60_000;
    let later = now + 100;
    let two = db.store().await;
    let (a, b) = tokio::join!(
        store.claim_due_mails(later, lease, 20),
        two.claim_due_mails(later, lease, 20)
    );
    let ids = |mails: Vec<kassa::store::MailRecord>| -> Vec<String> {
        mails.into_iter().map(|m| m.id).collect()
    };
    let (a, b) = (ids(a.unwrap()), ids(b.unwrap()));
    assert_eq!(a.len() + b.len(), 30, "{a:?} {b:?}");
    assert!(a.len() <= 20 && b.len() <= 20);
    assert!(a.iter().all(|id| !b.contains(id)), "{a:?} {b:?}");
    let mut sorted = a.clone();
    sorted.sort();
    assert_eq!(a, sorted, "oldest first");
    assert!(
        store
            .claim_due_mails(later, lease, 20)
            .await
            .unwrap()
            .is_empty(),
        "all held"
    );
    // Not yet due: not claimed.
    assert!(
        store
            .claim_due_mails(now - 1, lease, 20)
            .await
            .unwrap()
            .is_empty()
    );
    // A held mail settled is not claimed again; the others are, once their hold ran out.
    store
        .finish_mail(
            &a[0],
            &kassa::store::MailOutcome {
                status: "kept",
                subject: "Receipt",
                text_body: "text",
                html_body: "<p>html</p>",
                error: None,
                next_attempt_at: now,
            },
            later,
        )
        .await
        .unwrap();
    let again = ids(store
        .claim_due_mails(later + lease, lease, 50)
        .await
        .unwrap());
    assert_eq!(again.len(), 29);
    assert!(!again.contains(&a[0]));
    finish(db, store).await;
}

/// On SQLite a transaction keeps writes whose outcome nobody reads and runs them together later
/// (at the commit here); on PostgreSQL each runs at once. Either way a write that fails fails
/// the transaction, and nothing of it is kept.
async fn a_write_that_fails_fails_its_whole_transaction(engine: Engine) {
    let Some((db, store)) = open(engine, "failed_write").await else {
        return;
    };
    let org = organization(&store).await;
    let event = kassa::store::NewEvent {
        id: "evt_twice",
        event_type: "checkout.session.completed",
        object_id: "cs_test_twice",
        data: "{}",
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_events(&org, false, std::slice::from_ref(&event), 1)
        .await
        .unwrap();
    // The same id again: the primary key refuses it, now or at the commit.
    // Either way the transaction is given up here: a live one would hold its
    // connection, and closing the pool waits for every connection to return.
    let outcome = match tx.insert_events(&org, false, &[event], 2).await {
        Err(error) => {
            drop(tx);
            Err(error)
        }
        Ok(()) => tx.commit().await,
    };
    assert!(outcome.is_err());
    assert!(
        store
            .events_of_object("cs_test_twice")
            .await
            .unwrap()
            .is_empty(),
        "neither event kept"
    );
    finish(db, store).await;
}

async fn open_sessions_change_terms_and_confirm_only_once(engine: Engine) {
    let Some((db, store)) = open(engine, "sessions_change_terms").await else {
        return;
    };
    let (org, m) = session_catalog(&store).await;
    let created = 1_795_000_000_000;
    let session = full_session("cs_test_t", &org, &m, "price_w", "prod_w", created);
    store.insert_session(&session, None).await.unwrap();

    let mut changed = session.clone();
    changed.line_items[0].quantity = 5;
    changed.line_items.push(changed.line_items[0].clone());
    changed.success_url = Some("https://shop.example/other".into());
    changed.amounts.total = 9_000;
    changed.updated_at = created + 1;
    assert!(
        store
            .replace_open_session(&changed, created + 1)
            .await
            .unwrap()
    );
    assert_eq!(
        store.session_by_id("cs_test_t").await.unwrap(),
        Some(changed.clone()),
        "lines, URLs and amounts replaced"
    );

    assert!(
        store
            .confirm_open_session("cs_test_t", Confirmation::ChargeImmediately, created + 2)
            .await
            .unwrap()
    );
    assert!(
        !store
            .confirm_open_session("cs_test_t", Confirmation::NoPayment, created + 3)
            .await
            .unwrap(),
        "confirmed once only"
    );
    let confirmed = store.session_by_id("cs_test_t").await.unwrap().unwrap();
    assert_eq!(
        confirmed.confirmation,
        Some(Confirmation::ChargeImmediately)
    );
    assert!(
        !store
            .replace_open_session(&changed, created + 4)
            .await
            .unwrap(),
        "a confirmed session's terms are fixed"
    );
    assert!(
        !store
            .replace_open_session(&changed, changed.expires_at + 1)
            .await
            .unwrap(),
        "an expired one's too"
    );

    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.set_session_status_if(
            "cs_test_t",
            SessionStatus::Open.expire().unwrap(),
            created + 5
        )
        .await
        .unwrap()
    );
    tx.mark_session_cancelled("cs_test_t", created + 5)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let cancelled = store.session_by_id("cs_test_t").await.unwrap().unwrap();
    assert_eq!(
        (cancelled.status, cancelled.cancelled_at),
        (SessionStatus::Expired, Some(created + 5))
    );
    finish(db, store).await;
}

async fn sessions_are_listed_newest_first_in_keyset_pages(engine: Engine) {
    let Some((db, store)) = open(engine, "sessions_are_listed").await else {
        return;
    };
    let (org, m) = session_catalog(&store).await;
    // 25 sessions, some sharing a creation time, so the id breaks ties
    let mut expected = Vec::new();
    for i in 0..25 {
        let id = format!("cs_test_{i:02}");
        let session = full_session(
            &id,
            &org,
            &m,
            "price_w",
            "prod_w",
            1_795_000_000_000 + (i / 2) as i64,
        );
        store.insert_session(&session, None).await.unwrap();
        expected.push((session.created_at, id));
    }
    expected.sort_by(|a, b| b.cmp(a));
    let mut seen = Vec::new();
    let mut page = PageRequest {
        limit: 10,
        after: None,
    };
    let mut pages = 0;
    loop {
        let result = store.sessions(&org, false, &page).await.unwrap();
        pages += 1;
        assert!(
            result.items.iter().all(|s| s.line_items.len() == 1),
            "lines come with each session"
        );
        let last = result.items.last().map(|s| kassa::store::Cursor {
            created_at: s.created_at,
            id: s.id.clone(),
        });
        seen.extend(result.items.into_iter().map(|s| (s.created_at, s.id)));
        if !result.has_more {
            break;
        }
        page.after = last;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, expected, "every session once, newest first");
    assert_eq!(store.count_sessions(&org, false).await.unwrap(), 25);
    assert!(
        store
            .sessions(
                &org,
                true,
                &PageRequest {
                    limit: 10,
                    after: None
                }
            )
            .await
            .unwrap()
            .items
            .is_empty()
    );
    finish(db, store).await;
}

async fn of_racing_status_changes_exactly_one_wins(engine: Engine) {
    let Some((db, store)) = open(engine, "racing_status_changes").await else {
        return;
    };
    let (org, m) = session_catalog(&store).await;
    store
        .insert_session(
            &full_session(
                "cs_test_race",
                &org,
                &m,
                "price_w",
                "prod_w",
                1_795_000_000_000,
            ),
            None,
        )
        .await
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let store = store.clone();
        let to = if i % 2 == 0 {
            SessionStatus::Open.succeed()
        } else {
            SessionStatus::Open.expire()
        }
        .unwrap();
        tasks.spawn(async move {
            store
                .compare_and_set_session_status("cs_test_race", to, 1)
                .await
        });
    }
    let mut winners = 0;
    while let Some(result) = tasks.join_next().await {
        if result.unwrap().unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    let status = store
        .session_by_id("cs_test_race")
        .await
        .unwrap()
        .unwrap()
        .status;
    assert!(status.is_terminal());
    assert!(
        !store
            .compare_and_set_session_status(
                "cs_test_race",
                SessionStatus::Open.expire().unwrap(),
                2
            )
            .await
            .unwrap()
    );
    finish(db, store).await;
}

async fn a_session_applies_the_tax_rates_in_effect_when_it_was_made(engine: Engine) {
    let Some((db, store)) = open(engine, "tax_rates_in_effect").await else {
        return;
    };
    let org = organization(&store).await;
    let tick = || tokio::time::sleep(std::time::Duration::from_millis(3));
    let vat = TaxRate {
        id: "txr_vat".into(),
        display_name: "VAT".into(),
        rate: Rate::parse_percent("20").unwrap(),
        inclusive: false,
        country: Some("FR".into()),
        active: true,
    };
    let details = TaxRateDetails {
        description: Some("TVA"),
        tax_type: Some("vat"),
        metadata: Some(r#"{"ledger":"4457"}"#),
        ..TaxRateDetails::default()
    };
    let made = store
        .insert_tax_rate(&org, false, &vat, &details)
        .await
        .unwrap();
    assert_eq!(
        (
            made.description.as_deref(),
            made.tax_type.as_deref(),
            made.metadata()["ledger"].as_str()
        ),
        (Some("TVA"), Some("vat"), Some("4457"))
    );
    let at = |t: i64| {
        let store = &store;
        let org = &org;
        async move {
            store
                .tax_rates_at(org, false, t)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(at(made.created_at).await, ["txr_vat"]);
    assert!(
        at(made.created_at - 1).await.is_empty(),
        "made before the rate"
    );

    tick().await;
    let archive = TaxRateChanges {
        active: Some(false),
        display_name: "TVA".into(),
        ..TaxRateChanges::default()
    };
    let archived = store
        .update_tax_rate(&org, false, "txr_vat", &archive)
        .await
        .unwrap()
        .unwrap();
    let archived_at = archived.archived_at.expect("archiving records when");
    assert!(!archived.active && archived_at > made.created_at);
    assert_eq!(archived.display_name, "TVA");
    assert_eq!(archived.description, None, "changes are written whole");
    assert_eq!(
        archived.metadata()["ledger"],
        "4457",
        "metadata is kept unless replaced"
    );
    assert_eq!(
        at(archived_at - 1).await,
        ["txr_vat"],
        "made while it was active"
    );
    assert!(
        at(archived_at).await.is_empty(),
        "made once it was archived"
    );
    // Archiving again changes nothing of when.
    tick().await;
    let again = store
        .update_tax_rate(&org, false, "txr_vat", &archive)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.archived_at, Some(archived_at));

    tick().await;
    let back = store
        .update_tax_rate(
            &org,
            false,
            "txr_vat",
            &TaxRateChanges {
                active: Some(true),
                display_name: "TVA".into(),
                ..TaxRateChanges::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(back.active && back.archived_at.is_none() && back.active_from > archived_at);
    assert!(at(back.active_from - 1).await.is_empty());
    assert_eq!(at(back.active_from).await, ["txr_vat"]);

    let other = TaxRate {
        id: "txr_old".into(),
        active: false,
        ..vat.clone()
    };
    store
        .insert_tax_rate(&org, false, &other, &TaxRateDetails::default())
        .await
        .unwrap();
    let first = PageRequest::first(10);
    for (active, expected) in [
        (None, vec!["txr_old", "txr_vat"]),
        (Some(true), vec!["txr_vat"]),
        (Some(false), vec!["txr_old"]),
    ] {
        let page = store
            .tax_rates_page(&org, false, active, &first)
            .await
            .unwrap();
        let ids: Vec<String> = page.items.into_iter().map(|r| r.id).collect();
        assert_eq!(ids, expected, "active: {active:?}");
    }
    assert!(
        store
            .update_tax_rate("org_elsewhere", false, "txr_vat", &archive)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .tax_rate(&org, true, "txr_vat")
            .await
            .unwrap()
            .is_none()
    );
    finish(db, store).await;
}

/// An organization with more tax rates than the store keeps in memory: the rates in effect are
/// read from the database, by the same rule, in the same order.
async fn rates_past_what_is_kept_in_memory_apply_the_same(engine: Engine) {
    let Some((db, store)) = open(engine, "tax_rates_many").await else {
        return;
    };
    let org = organization(&store).await;
    let rate = |i: usize| TaxRate {
        id: format!("txr_{i:03}"),
        display_name: format!("Rate {i}"),
        rate: Rate::parse_percent("5").unwrap(),
        inclusive: false,
        country: Some("DE".into()),
        active: true,
    };
    let ids = |rates: Vec<TaxRate>| rates.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let first = store
        .insert_tax_rate(&org, false, &rate(0), &TaxRateDetails::default())
        .await
        .unwrap();
    // Kept in memory now: one rate.
    assert_eq!(
        ids(store
            .tax_rates_at(&org, false, first.created_at)
            .await
            .unwrap()),
        ["txr_000"]
    );
    for i in 1..=120 {
        store
            .insert_tax_rate(&org, false, &rate(i), &TaxRateDetails::default())
            .await
            .unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let archive = TaxRateChanges {
        active: Some(false),
        display_name: "Rate 7".into(),
        ..TaxRateChanges::default()
    };
    let archived = store
        .update_tax_rate(&org, false, "txr_007", &archive)
        .await
        .unwrap()
        .unwrap();
    let archived_at = archived.archived_at.unwrap();
    let before = ids(store
        .tax_rates_at(&org, false, archived_at - 1)
        .await
        .unwrap());
    assert_eq!(before.len(), 121);
    assert_eq!(before[..3], ["txr_000", "txr_001", "txr_002"]);
    let after = ids(store.tax_rates_at(&org, false, archived_at).await.unwrap());
    assert_eq!(after.len(), 120);
    assert!(!after.contains(&"txr_007".to_owned()));
    // Another mode has none.
    assert!(
        store
            .tax_rates_at(&org, true, archived_at)
            .await
            .unwrap()
            .is_empty()
    );
    finish(db, store).await;
}
