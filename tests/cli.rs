//! The `kassa` binary as an operator runs it: configuration errors, `migrate`, `demo`, `serve`
//! and its graceful shutdown.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn kassa(dir: &tempfile::TempDir) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kassa"));
    command
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("KASSA_LOG", "warn");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("kassa runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn demo_prints_one_json_object_and_the_same_one_twice() {
    let dir = tempfile::tempdir().unwrap();
    let first = run(kassa(&dir).arg("demo"));
    assert!(first.status.success(), "{}", stderr(&first));
    let report: Value =
        serde_json::from_slice(&first.stdout).expect("stdout is JSON and only JSON");
    assert!(
        dir.path().join("kassa.db").exists(),
        "the default database is ./kassa.db"
    );

    assert_eq!(report["base_url"], "http://127.0.0.1:3000");
    assert!(
        report["secret_key"]
            .as_str()
            .unwrap()
            .starts_with("sk_test_")
    );
    assert_eq!(
        report["dashboard"]["url"],
        "http://127.0.0.1:3000/dashboard"
    );
    assert!(report["dashboard"]["email"].as_str().unwrap().contains('@'));
    assert!(report["dashboard"]["password"].as_str().unwrap().len() >= 12);
    let prices = report["prices"].as_array().unwrap();
    assert_eq!(prices.len(), 2);
    let mut types: Vec<&str> = prices.iter().map(|p| p["type"].as_str().unwrap()).collect();
    types.sort();
    assert_eq!(types, ["single_payment", "subscription"]);
    for price in prices {
        assert!(price["id"].as_str().unwrap().starts_with("price_"));
        assert!(price["product_id"].as_str().unwrap().starts_with("prod_"));
        assert!(!price["slug"].as_str().unwrap().is_empty());
        assert_eq!(price["currency"], "usd");
        assert!(price["unit_amount"].as_i64().unwrap() > 0);
    }

    let plans = report["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 1, "{report}");
    assert!(plans[0]["id"].as_str().unwrap().starts_with("plan_"));
    assert_eq!(plans[0]["currency"], "usd");
    let entities = report["business_entities"].as_array().unwrap();
    assert_eq!(entities.len(), 1, "{report}");
    assert!(entities[0]["id"].as_str().unwrap().starts_with("be_"));

    let second = run(kassa(&dir).arg("demo"));
    assert!(second.status.success(), "{}", stderr(&second));
    let mut again: Value = serde_json::from_slice(&second.stdout).unwrap();
    // each run makes a fresh checkout to try; everything else is the same
    let first_checkout = report["checkout_url"].as_str().unwrap().to_owned();
    let second_checkout = again["checkout_url"].as_str().unwrap().to_owned();
    assert!(
        first_checkout.starts_with("http://127.0.0.1:3000/checkout/cs_test_"),
        "{first_checkout}"
    );
    assert_ne!(first_checkout, second_checkout);
    // A fresh password too, each run (only its hash is kept).
    assert_ne!(
        report["dashboard"]["password"],
        again["dashboard"]["password"]
    );
    let mut report = report;
    for run in [&mut report, &mut again] {
        run.as_object_mut().unwrap().remove("checkout_url");
        run["dashboard"].as_object_mut().unwrap().remove("password");
    }
    assert_eq!(report, again, "the same organization, key and login email");
}

#[test]
fn the_operator_makes_accounts_when_sign_up_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let create = |email: &str, password: &str| {
        run(kassa(&dir)
            .args([
                "user",
                "create",
                "--email",
                email,
                "--organization",
                "Back Office",
            ])
            .env("KASSA_USER_PASSWORD", password))
    };
    let made = create("ops@example.com", "correct horse battery");
    assert!(made.status.success(), "{}", stderr(&made));
    let account: Value = serde_json::from_slice(&made.stdout).expect("stdout is JSON");
    assert_eq!(account["email"], "ops@example.com");
    assert_eq!(account["organization_name"], "Back Office");
    assert!(
        account["organization_id"]
            .as_str()
            .unwrap()
            .starts_with("org_")
    );
    assert!(
        account["test_secret_key"]
            .as_str()
            .unwrap()
            .starts_with("sk_test_")
    );
    // Checked as signing up is: a taken email, a short password, each named, exit 2.
    for (email, password, named) in [
        ("ops@example.com", "correct horse battery", "email"),
        ("new@example.com", "short", "password"),
    ] {
        let refused = create(email, password);
        assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
        assert!(stderr(&refused).contains(named), "{}", stderr(&refused));
        assert!(refused.stdout.is_empty());
    }
    // The password may come on standard input instead.
    let mut piped = kassa(&dir)
        .args([
            "user",
            "create",
            "--email",
            "piped@example.com",
            "--organization",
            "Piped",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    piped
        .stdin
        .take()
        .unwrap()
        .write_all(b"another good password\n")
        .unwrap();
    let output = piped.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn demo_uses_the_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(kassa(&dir)
        .arg("demo")
        .env("KASSA_PUBLIC_URL", "https://pay.example.com/"));
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["base_url"], "https://pay.example.com");
    assert_eq!(
        report["dashboard"]["url"],
        "https://pay.example.com/dashboard"
    );
}

#[test]
fn a_bad_setting_stops_kassa_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    for (variable, value) in [
        ("KASSA_ADDR", "localhost"),
        ("KASSA_DATABASE_URL", "mysql://localhost/kassa"),
        ("KASSA_PUBLIC_URL", "pay.example.com"),
        ("KASSA_LOG", "info,["),
        ("KASSA_DATABASE_MAX_CONNECTIONS", "many"),
        ("KASSA_ENCRYPTION_KEY", "c2hvcnQ="),
        ("KASSA_PAYMENT_ATTEMPTS_PER_ADDRESS", "lots"),
        ("KASSA_STRIPE_API_BASE", "stripe"),
        ("KASSA_API_REQUESTS_PER_SECOND", "fast"),
        ("KASSA_WEBHOOKS_TO_PRIVATE_ADDRESSES", "sometimes"),
        ("KASSA_SIGN_UP", "invite"),
        ("KASSA_METRICS_ADDR", "9464"),
        ("KASSA_METRICS_TOKEN", "short"),
    ] {
        let output = run(kassa(&dir).arg("serve").env(variable, value));
        assert_eq!(output.status.code(), Some(2), "{variable}={value}");
        assert!(
            stderr(&output).contains(variable),
            "{variable}: {}",
            stderr(&output)
        );
    }
    let output = run(kassa(&dir).arg("serve").env("KASSA_LOG_FORMAT", "xml"));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("KASSA_LOG_FORMAT"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("kassa.db").exists(), "nothing was opened");
}

#[test]
fn flags_override_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(kassa(&dir)
        .args(["migrate", "--database-url", "sqlite://flagged.db"])
        .env("KASSA_DATABASE_URL", "mysql://not-used"));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.path().join("flagged.db").exists());
}

#[test]
fn an_unreachable_database_is_a_clear_failure() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(kassa(&dir).arg("migrate").env(
        "KASSA_DATABASE_URL",
        "sqlite:///nonexistent-folder/kassa.db",
    ));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("could not open the database"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn serve_answers_then_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = kassa(&dir)
        .arg("serve")
        .env("KASSA_ADDR", "127.0.0.1:0")
        .env("KASSA_LOG", "info")
        .env("KASSA_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<Value>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let event: Value = serde_json::from_str(&line).expect("every log line is JSON");
            let _ = lines_tx.send(event);
        }
    });
    let next_event = |what: &str| loop {
        let event = lines_rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no {what}"));
        if event["message"] == what {
            return event;
        }
    };

    let serving = next_event("kassa is serving");
    let addr = serving["addr"].as_str().unwrap().to_owned();
    let response = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let logged = next_event("finished processing request");
    assert_eq!(logged["span"]["id"], request_id.as_str(), "{logged}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    next_event("shutting down: finishing requests in flight");
    let status = child.wait().unwrap();
    assert!(status.success(), "exit after SIGTERM: {status:?}");
}

/// Processor keys sealed with an operator's key that kassa is not given: it refuses to serve
/// (exit code 2, naming the variable) rather than fail each live payment; given the key, it serves.
#[tokio::test]
async fn sealed_processor_keys_need_the_encryption_key_to_serve() {
    let dir = tempfile::tempdir().unwrap();
    let demo = run(kassa(&dir).arg("demo"));
    assert!(demo.status.success(), "{}", stderr(&demo));
    let organization = serde_json::from_slice::<Value>(&demo.stdout).unwrap()["organization_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("sqlite://{}", dir.path().join("kassa.db").display());
    let store = kassa::store::Store::connect(&url, &Default::default())
        .await
        .unwrap();
    store
        .set_processor_account(
            &kassa::store::ProcessorAccountRecord {
                organization_id: organization,
                livemode: true,
                processor: "stripe".into(),
                secret_key: "c2VhbGVk".into(),
                secret_key_hint: "sk_live_51Hx…".into(),
                webhook_secret: "c2VhbGVk".into(),
                webhook_secret_hint: "whsec_abc…".into(),
                created_at: 1,
                updated_at: 1,
            },
            1,
        )
        .await
        .unwrap();
    store.close().await;

    let output = run(kassa(&dir).arg("serve").env("KASSA_ADDR", "127.0.0.1:0"));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("KASSA_ENCRYPTION_KEY"),
        "{}",
        stderr(&output)
    );

    let mut served = kassa(&dir)
        .arg("serve")
        .env("KASSA_ADDR", "127.0.0.1:0")
        .env(
            "KASSA_ENCRYPTION_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
        .env("KASSA_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(served.stderr.take().unwrap()).lines();
    let serving = lines.any(|line| line.is_ok_and(|l| l.contains("kassa is serving")));
    let _ = served.kill();
    let _ = served.wait();
    assert!(serving, "with the key it serves");
}

/// `kassa serve` on a free port of `dir`'s database: the child and its address.
fn serve(dir: &tempfile::TempDir) -> (std::process::Child, String) {
    serve_with(dir, &[]).0
}

/// As [`serve`] with more `env`; also the address `/metrics` is served alone at, when it is.
fn serve_with(
    dir: &tempfile::TempDir,
    env: &[(&str, &str)],
) -> ((std::process::Child, String), Option<String>) {
    let mut child = kassa(dir)
        .envs(env.iter().copied())
        .arg("serve")
        .env("KASSA_ADDR", "127.0.0.1:0")
        .env("KASSA_LOG", "info")
        .env("KASSA_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (addr, metrics) = loop {
        let line = lines.next().expect("kassa logs until it serves").unwrap();
        let event: Value = serde_json::from_str(&line).unwrap();
        if event["message"] == "kassa is serving" {
            break (
                event["addr"].as_str().unwrap().to_owned(),
                event["metrics_addr"].as_str().map(str::to_owned),
            );
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    ((child, addr), metrics)
}

#[tokio::test]
async fn metrics_may_have_a_listener_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let ((mut server, addr), metrics) = serve_with(&dir, &[("KASSA_METRICS_ADDR", "127.0.0.1:0")]);
    let metrics = metrics.expect("kassa says where metrics are served");
    assert_ne!(metrics, addr);
    let health = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let scrape = reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    let text = scrape.text().await.unwrap();
    assert!(
        text.contains(r#"kassa_http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
        "{text}"
    );
    // Not on the public listener: no token was given.
    let public = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(public.status(), 404);
    // The metrics listener serves nothing else.
    let other = reqwest::get(format!("http://{metrics}/healthz"))
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    server.wait().unwrap();
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[tokio::test]
async fn the_operator_makes_lists_and_revokes_keys() {
    let dir = tempfile::tempdir().unwrap();
    let demo: Value = serde_json::from_slice(&run(kassa(&dir).arg("demo")).stdout).unwrap();
    let org = demo["organization_id"].as_str().unwrap().to_owned();

    let made = run(kassa(&dir).args(["keys", "create", "--organization", &org, "--name", "CI"]));
    assert!(made.status.success(), "{}", stderr(&made));
    let key = &json_lines(&made)[0];
    let secret = key["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("sk_test_"), "{key}");
    assert_eq!(
        (key["name"].as_str(), key["livemode"].as_bool()),
        (Some("CI"), Some(false))
    );
    let id = key["id"].as_str().unwrap().to_owned();
    let live = run(kassa(&dir).args(["keys", "create", "--organization", &org, "--mode", "live"]));
    assert!(
        json_lines(&live)[0]["secret"]
            .as_str()
            .unwrap()
            .starts_with("sk_live_")
    );

    // Listed newest first, with no secret.
    let listed = run(kassa(&dir).args(["keys", "list", "--organization", &org]));
    assert!(listed.status.success(), "{}", stderr(&listed));
    let keys = json_lines(&listed);
    assert_eq!(keys.len(), 3, "the demo's key and the two made: {keys:?}");
    assert_eq!(keys[1]["id"], id.as_str());
    let prefix = keys[1]["prefix"].as_str().unwrap();
    assert!(secret.starts_with(prefix.trim_end_matches('…')), "{prefix}");
    assert!(!String::from_utf8_lossy(&listed.stdout).contains(&secret));
    assert!(keys.iter().all(|k| k.get("secret").is_none()));

    // The key works against a running kassa, until it is revoked (from another process).
    let (mut server, addr) = serve(&dir);
    let client = reqwest::Client::new();
    let organization = |key: String| {
        let request = client
            .get(format!("http://{addr}/api/organization"))
            .bearer_auth(key);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(organization(secret.clone()).await, 200);
    let revoked = run(kassa(&dir).args(["keys", "revoke", "--organization", &org, &id]));
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    assert!(json_lines(&revoked)[0]["revoked_at"].is_i64());
    let mut status = 200;
    for _ in 0..40 {
        status = organization(secret.clone()).await;
        if status == 401 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status, 401,
        "a revoked key stops working within its cache's second"
    );
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    server.wait().unwrap();

    // Refusals name what is wrong, exit 2, print nothing.
    for (args, named) in [
        (
            vec!["keys", "revoke", "--organization", &org, &id],
            "already revoked",
        ),
        (
            vec!["keys", "revoke", "--organization", &org, "key_nope"],
            "no key key_nope",
        ),
        (
            vec!["keys", "list", "--organization", "org_nope"],
            "--organization",
        ),
        (
            vec![
                "keys",
                "create",
                "--organization",
                &org,
                "--mode",
                "staging",
            ],
            "--mode",
        ),
        (
            vec!["keys", "create", "--organization", &org, "--name", " "],
            "--name",
        ),
    ] {
        let refused = run(kassa(&dir).args(&args));
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&refused)
        );
        assert!(
            stderr(&refused).contains(named),
            "{args:?}: {}",
            stderr(&refused)
        );
        assert!(refused.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn backup_copies_a_running_sqlite_database_and_overwrites_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let demo: Value = serde_json::from_slice(&run(kassa(&dir).arg("demo")).stdout).unwrap();
    let (mut server, _) = serve(&dir);
    let copy = dir.path().join("copy.db");
    let made = run(kassa(&dir).args(["backup", copy.to_str().unwrap()]));
    assert!(made.status.success(), "{}", stderr(&made));
    let report = &json_lines(&made)[0];
    assert_eq!(report["engine"], "sqlite");
    assert_eq!(
        report["bytes"].as_u64(),
        Some(std::fs::metadata(&copy).unwrap().len())
    );
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    server.wait().unwrap();

    // The copy is a whole kassa database: the demo organization is in it, with its key.
    let restored = run(kassa(&dir)
        .arg("demo")
        .env("KASSA_DATABASE_URL", format!("sqlite://{}", copy.display())));
    assert!(restored.status.success(), "{}", stderr(&restored));
    let restored: Value = serde_json::from_slice(&restored.stdout).unwrap();
    assert_eq!(restored["organization_id"], demo["organization_id"]);
    assert_eq!(restored["secret_key"], demo["secret_key"]);

    let again = run(kassa(&dir).args(["backup", copy.to_str().unwrap()]));
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("exists"), "{}", stderr(&again));
    let postgres = run(kassa(&dir)
        .args(["backup", "elsewhere.dump"])
        .env("KASSA_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"));
    assert_eq!(postgres.status.code(), Some(2), "{}", stderr(&postgres));
    assert!(
        stderr(&postgres).contains("pg_dump"),
        "{}",
        stderr(&postgres)
    );
}

#[test]
fn each_operator_command_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            vec!["--help"],
            vec!["keys", "backup", "user", "demo", "serve"],
        ),
        (vec!["keys", "--help"], vec!["create", "list", "revoke"]),
        (
            vec!["keys", "create", "--help"],
            vec!["--organization", "--mode", "--name"],
        ),
        (
            vec!["keys", "revoke", "--help"],
            vec!["<KEY>", "--organization"],
        ),
        (vec!["backup", "--help"], vec!["<FILE>", "pg_dump"]),
        (
            vec!["user", "create", "--help"],
            vec!["--email", "KASSA_USER_PASSWORD"],
        ),
    ] {
        let help = run(kassa(&dir).args(&args));
        assert!(help.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&help.stdout);
        for word in says {
            assert!(
                text.contains(word),
                "{args:?} does not mention {word}: {text}"
            );
        }
    }
}

/// A local receiver of what `kassa listen` forwards: each request's signature header and body.
async fn receiver() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>)>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let tx = tx.clone();
                async move {
                    let signature = headers
                        .get("kassa-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let _ = tx.send((signature, body.to_vec()));
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), rx)
}

#[tokio::test]
async fn listen_forwards_what_trigger_makes_happen_signed() {
    let dir = tempfile::tempdir().unwrap();
    let demo: Value = serde_json::from_slice(&run(kassa(&dir).arg("demo")).stdout).unwrap();
    let key = demo["secret_key"].as_str().unwrap().to_owned();
    let ((mut server, addr), _) = serve_with(&dir, &[]);
    let url = format!("http://{addr}");
    let (hook, mut received) = receiver().await;

    let mut listener = kassa(&dir)
        .args(["listen", "--forward-to", &hook, "--url", &url])
        .env("KASSA_API_KEY", &key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<Value>();
    let stdout = listener.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(serde_json::from_str(&line).expect("each line is JSON"));
        }
    });
    let ready = lines_rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(ready["ready"], true, "{ready}");
    assert_eq!(ready["organization"], demo["organization_id"]);
    let secret = ready["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));

    let triggered = run(kassa(&dir)
        .args(["trigger", "checkout.session.completed", "--url", &url])
        .env("KASSA_API_KEY", &key));
    assert!(triggered.status.success(), "{}", stderr(&triggered));
    let made = &json_lines(&triggered)[0];
    let session = made["checkout_session"].as_str().unwrap().to_owned();
    for event in [
        "payment.failed",
        "subscription.created",
        "checkout.session.expired",
    ] {
        let made = run(kassa(&dir).args(["trigger", event, "--url", &url, "--api-key", &key]));
        assert!(made.status.success(), "{event}: {}", stderr(&made));
        assert_eq!(json_lines(&made)[0]["triggered"], event);
    }

    // Forwarded, signed with the printed secret, in the order they happened.
    let mut types: Vec<String> = Vec::new();
    let wanted = [
        "checkout.session.completed",
        "payment.failed",
        "subscription.created",
        "checkout.session.expired",
    ];
    while !wanted.iter().all(|w| types.iter().any(|t| t == w)) {
        let (signature, body) = tokio::time::timeout(Duration::from_secs(20), received.recv())
            .await
            .expect("the events arrive")
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(
            kassa::service::webhooks::verify_signature(&secret, &signature, &body, now, 300),
            "signed with the printed secret: {signature}"
        );
        let event: Value = serde_json::from_slice(&body).unwrap();
        if event["type"] == "checkout.session.completed"
            && !types.iter().any(|t| t == "checkout.session.completed")
        {
            assert_eq!(event["data"]["object"]["id"], session.as_str());
        }
        types.push(event["type"].as_str().unwrap().to_owned());
    }
    let at = |kind: &str| types.iter().position(|t| t == kind);
    assert!(
        at("checkout.session.completed") < at("payment.failed")
            && at("payment.failed") < at("subscription.created")
            && at("subscription.created") < at("checkout.session.expired"),
        "in the order they happened: {types:?}"
    );
    // It says what it forwarded.
    let told = lines_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(told["status"], 200, "{told}");
    assert!(told["event"].as_str().unwrap().starts_with("evt_"));

    // Refusals: a live key for trigger, a bad address for listen, a key kassa does not know.
    let live = run(kassa(&dir)
        .args(["trigger", "payment.failed", "--url", &url])
        .env("KASSA_API_KEY", "sk_live_0000000000000000000000000000000"));
    assert_eq!(live.status.code(), Some(2));
    assert!(stderr(&live).contains("sk_test_"), "{}", stderr(&live));
    let bad = run(kassa(&dir)
        .args(["listen", "--forward-to", "localhost:4242", "--url", &url])
        .env("KASSA_API_KEY", &key));
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--forward-to"), "{}", stderr(&bad));
    let unknown = run(kassa(&dir)
        .args(["trigger", "payment.failed", "--url", &url])
        .env("KASSA_API_KEY", "sk_test_00000000000000000000000000000000"));
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("--api-key"),
        "{}",
        stderr(&unknown)
    );

    let _ = listener.kill();
    let _ = listener.wait();
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    server.wait().unwrap();
}
