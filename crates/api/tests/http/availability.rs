//! The store going away: dropped connections are retried transparently, a store that is down
//! answers 503 SERVICE_UNAVAILABLE (never 500, never a hang), and service resumes without a
//! restart once the store is back. Cut with a TCP proxy in front of PostgreSQL, so this runs on
//! the PostgreSQL half only.

use clientele_store::testing::{host_port, with_host_port, Proxy};
use serde_json::json;

use crate::common::{Backing, TestApp};

async fn proxied_app() -> Option<(TestApp, Proxy)> {
    let (backing, url) = Backing::new()?;
    if !matches!(backing, Backing::Postgres(_)) {
        clientele_store::testing::skip("cutting the store needs CLIENTELE_TEST_BACKEND=postgres");
        return None;
    }
    let proxy = Proxy::start(host_port(&url)).await.expect("proxy");
    let app = TestApp::spawn_on(
        backing,
        &with_host_port(&url, proxy.addr()),
        Default::default(),
    )
    .await;
    Some((app, proxy))
}

#[tokio::test]
async fn dropped_connections_are_retried_without_an_error() {
    let Some((app, proxy)) = proxied_app().await else {
        return;
    };
    let id = app.create(json!({"name": "Before"})).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    for round in 0..3 {
        // Every pooled connection dies (a database restart, a failover, a network cut).
        proxy.drop_connections();
        let r = app.get(&format!("/v1/clients/{id}")).await;
        assert_eq!(r.status, 200, "round {round}: {}", r.body);
        proxy.drop_connections();
        let r = app
            .patch(
                &format!("/v1/clients/{id}"),
                json!({"notes": format!("round {round}")}),
            )
            .await;
        assert_eq!(r.status, 200, "round {round}: {}", r.body);
        proxy.drop_connections();
        app.create(json!({"name": format!("During {round}")})).await;
    }
    let r = app.get(&format!("/v1/clients/{id}")).await;
    assert_eq!(r.data()["version"], 4, "each patch applied exactly once");
}

#[tokio::test]
async fn store_down_answers_503_and_recovers_without_restart() {
    let Some((app, proxy)) = proxied_app().await else {
        return;
    };
    let id = app.create(json!({"name": "Survivor"})).await["id"]
        .as_str()
        .expect("id")
        .to_string();

    proxy.set_up(false);
    let started = std::time::Instant::now();
    app.get(&format!("/v1/clients/{id}"))
        .await
        .error(503, "SERVICE_UNAVAILABLE");
    app.post("/v1/clients", json!({"name": "Lost"}))
        .await
        .error(503, "SERVICE_UNAVAILABLE");
    app.get("/v1/clients")
        .await
        .error(503, "SERVICE_UNAVAILABLE");
    let ready = app.send(app.http.get(app.url("/readyz"))).await;
    ready.error(503, "SERVICE_UNAVAILABLE");
    let health = app.send(app.http.get(app.url("/healthz"))).await;
    assert_eq!(health.status, 200, "liveness does not depend on the store");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "503s come quickly: {:?}",
        started.elapsed()
    );

    proxy.set_up(true);
    let r = app.get(&format!("/v1/clients/{id}")).await;
    assert_eq!(r.data()["name"], "Survivor");
    app.create(json!({"name": "After"})).await;
    let list = app.get("/v1/clients").await;
    assert_eq!(
        list.body["meta"]["total"], 2,
        "the write during the outage did not happen"
    );
    let ready = app.send(app.http.get(app.url("/readyz"))).await;
    assert_eq!(ready.status, 200);
}
