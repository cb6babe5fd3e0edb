//! The console in a real browser (Debian's Chromium, driven over WebDriver by chromedriver):
//! sign-in refused then accepted, the queue receiving a new alert without a reload,
//! acknowledging and resolving (by keyboard) from the alert page, an officer kept out of an
//! operator page, a forged cross-site form refused, and an operator filtering workflows,
//! reading one's audit trail and cancelling it. `AEGIS_SCREENSHOTS=DIR` keeps
//! screenshots of the pages at desktop and phone widths, for a person to look at.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::*;

use crate::console::PASSWORD;

/// chromedriver, started as the leader of its own process group: Chromium and its helpers
/// join that group, so dropping the driver ends them all. Killing chromedriver alone left
/// every Chromium it had started running, one per test run (192 processes were found here).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver on a free port and a headless Chromium session, or `None` (loudly) when they
/// are not installed outside CI; under `CI=true` their absence fails the test.
async fn browser() -> Option<(Driver, Client)> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        assert!(
            !ci,
            "Chromium is required under CI=true (make test installs it)"
        );
        eprintln!("SKIPPED: /usr/bin/chromium is not installed");
        return None;
    }
    let port = free_port();
    let child = Command::new("chromedriver")
        .process_group(0)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver runs (make test installs chromium-driver)");
    let driver = Driver(child);
    let profile =
        std::env::temp_dir().join(format!("aegis-chrome-{}", uuid::Uuid::new_v4().simple()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                "--window-size=1280,900", format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    aegis::tls::install_provider();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match ClientBuilder::rustls()
            .expect("a TLS configuration")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return Some((driver, c)),
            Err(e) => {
                assert!(Instant::now() < deadline, "no browser session: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// A Chrome DevTools command through chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp(&'static str, serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http1::Method, Option<String>) {
        let body = json!({"cmd": self.0, "params": self.1});
        (http1::Method::POST, Some(body.to_string()))
    }
}

/// Makes the page a 360 px phone (a touch screen at 2× density), or a desk again. A headless
/// window is never narrower than 500 px: only the device emulation gives a phone's width.
async fn phone(c: &Client, on: bool) {
    let cmd = if on {
        Cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 360, "height": 780, "deviceScaleFactor": 2, "mobile": true}),
        )
    } else {
        Cdp("Emulation.clearDeviceMetricsOverride", json!({}))
    };
    c.issue_cmd(cmd).await.unwrap();
}

/// The page's layout width and the viewport's, for "nothing scrolls sideways".
async fn widths(c: &Client) -> (i64, i64) {
    let w = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth]",
            vec![],
        )
        .await
        .unwrap();
    (w[0].as_i64().unwrap(), w[1].as_i64().unwrap())
}

async fn shoot(c: &Client, name: &str) {
    shoot_where(c, name, None).await;
}

/// As [`shoot`], with `css` scrolled into view at each width.
async fn shoot_at(c: &Client, name: &str, css: &str) {
    shoot_where(c, name, Some(css)).await;
}

async fn shoot_where(c: &Client, name: &str, css: Option<&str>) {
    let Ok(dir) = std::env::var("AEGIS_SCREENSHOTS") else {
        return;
    };
    std::fs::create_dir_all(&dir).ok();
    let was_phone = widths(c).await.1 == 360;
    for (label, on_phone) in [("desktop", false), ("phone", true)] {
        phone(c, on_phone).await;
        if let Some(css) = css {
            c.execute(
                "document.querySelector(arguments[0]).scrollIntoView()",
                vec![json!(css)],
            )
            .await
            .unwrap();
        }
        let png = c.screenshot().await.unwrap();
        std::fs::write(format!("{dir}/{name}-{label}.png"), png).ok();
    }
    phone(c, was_phone).await;
}

async fn sign_in(c: &Client, base: &str, name: &str, password: &str) {
    c.goto(&format!("{base}/signin")).await.unwrap();
    find(c, "input[name=name]")
        .await
        .send_keys(name)
        .await
        .unwrap();
    find(c, "input[name=password]")
        .await
        .send_keys(password)
        .await
        .unwrap();
    c.execute("window.aegisSigningIn = true", vec![])
        .await
        .unwrap();
    find(c, "button[type=submit]").await.click().await.unwrap();
    // Until the answer is the page: a page opened before would race the session cookie.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answered = c
            .execute(
                "return document.readyState === 'complete' && !window.aegisSigningIn",
                vec![],
            )
            .await
            .is_ok_and(|v| v == json!(true));
        if answered {
            return;
        }
        assert!(Instant::now() < deadline, "the sign-in was never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn text(c: &Client) -> String {
    // After a form post the next page may still be on its way, and the body found may be
    // replaced before it is read: try again until one is read whole.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let read = match c.find(Locator::Css("body")).await {
            Ok(body) => body.text().await,
            Err(e) => Err(e),
        };
        match read {
            Ok(t) => return t,
            Err(e) => {
                assert!(Instant::now() < deadline, "the page never settled: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Waits until the address has `needle` in its query.
async fn wait_query(c: &Client, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = c.current_url().await.unwrap();
        if url.query().unwrap_or("").contains(needle) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the address never had {needle}: {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the page shows `needle` (a form's answer may still be loading).
async fn wait_text(c: &Client, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body = text(c).await;
        if body.contains(needle) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the page never showed {needle:?}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn an_officer_signs_in_and_acknowledges_from_the_page() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    crate::console::set_password(&app, "officer-1");
    let (id, alert_id) = raise_live_alert(&app, "B-1").await;

    sign_in(&c, &app.base, "officer-1", "wrong password here").await;
    wait_text(&c, "do not match").await;
    shoot(&c, "signin-refused").await;
    sign_in(&c, &app.base, "officer-1", PASSWORD).await;
    find(&c, &format!("[data-alert-id=\"{alert_id}\"]")).await;
    assert!(c.current_url().await.unwrap().path().ends_with("/alerts"));
    // A new alert appears in the open page by itself: no reload.
    let (_, alert2) = raise_live_alert(&app, "B-2").await;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(&format!("[data-alert-id=\"{alert2}\"]")))
        .await
        .expect("the new alert reached the open queue without a reload");
    let count = c
        .find(Locator::Css("[data-count]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, "2");
    shoot(&c, "queue").await;
    let row = c
        .find(Locator::Css(&format!("[data-alert-id=\"{alert_id}\"]")))
        .await
        .unwrap();
    row.find(Locator::Css("a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "Raised because").await;
    shoot(&c, "alert").await;
    find(&c, "[data-action=ack]").await.click().await.unwrap();
    wait_text(&c, "State: acknowledged").await;
    let w = app.wait_state(&id, "acknowledged").await;
    let ack = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "acknowledged")
        .unwrap()
        .clone();
    assert_eq!(ack["principal"], "officer:officer-1");
    assert_eq!(ack["detail"]["via"], "console");
    // Resolve with the keyboard alone: choose the disposition with the space bar, write a
    // note, press Enter on the button, then confirm on the page that says what it posts.
    find(&c, "input[name=disposition][value=site_standby]")
        .await
        .send_keys(" ")
        .await
        .unwrap();
    find(&c, "#resolve-note")
        .await
        .send_keys("crew stood by until PG&E arrived")
        .await
        .unwrap();
    find(&c, "[data-action=resolve]")
        .await
        .send_keys(ENTER)
        .await
        .unwrap();
    wait_text(&c, "Resolve ticket B-1?").await;
    assert_eq!(
        app.workflow(&id).await["state"],
        "acknowledged",
        "nothing resolved before the confirmation"
    );
    shoot(&c, "alert-confirm").await;
    find(&c, "[data-action=confirm-resolve]")
        .await
        .send_keys(ENTER)
        .await
        .unwrap();
    let w = app.wait_state(&id, "resolved").await;
    assert_eq!(w["alert"]["resolved_by"], "officer:officer-1");
    let resolved = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "resolved")
        .unwrap()
        .clone();
    assert_eq!(resolved["detail"]["disposition"], "site_standby");
    wait_text(&c, "State: resolved").await;
    // What people said is on the page for the next one to read.
    wait_text(&c, "crew stood by until PG&E arrived").await;

    // An officer at an operator page sees a refusal, not the workflows.
    c.goto(&format!("{}/admin/workflows", app.base))
        .await
        .unwrap();
    let body = text(&c).await;
    assert!(body.contains("This page is for operators"), "{body}");
    assert!(!body.contains("B-1"));

    // A form on another site posting to Aegis changes nothing (the session cookie is
    // SameSite=Strict and the origin is checked).
    let forged = format!(
        "data:text/html,<form method=post action=\"{}/alerts/{alert_id}/resolve\"><input name=disposition value=no_conflict><input name=csrf value=x></form><script>document.forms[0].submit()</script>",
        app.base
    );
    c.goto(&forged).await.unwrap();
    // The form did go to Aegis (the browser left the data: page for Aegis's answer)...
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = c.current_url().await.unwrap();
        if url.scheme() == "http" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the forged form was never sent: {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // ...and was refused: nothing changed.
    let answer = text(&c).await;
    assert!(
        answer.contains("Refused") || answer.contains("Sign in"),
        "{answer}"
    );
    assert_eq!(app.workflow(&id).await["state"], "resolved");
    c.close().await.unwrap();
}

/// As `raise_alert`, with the dig starting within the hour on the test's clock, so the alert is
/// live (not stale) in the queue.
async fn raise_live_alert(app: &TestApp, number: &str) -> (String, String) {
    let mut t = fixture_json("emergency-directional-drilling.json");
    t["ticket_number"] = json!(number);
    t["excavator"]["id"] = json!(format!("EX-{number}"));
    let now = test_now();
    t["submitted_at"] = json!((now - chrono::TimeDelta::minutes(5)).to_rfc3339());
    t["legal_start_at"] = json!((now + chrono::TimeDelta::minutes(50)).to_rfc3339());
    let r = app.post_ticket(&t).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    let w = app.wait_state(&id, "alerted").await;
    (id, w["alert"]["id"].as_str().unwrap().to_owned())
}

/// WebDriver's Enter key.
const ENTER: &str = "\u{E007}";

/// The element `css` once it is on the page (after a form post the next page may still be
/// loading).
async fn find(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            let url = c.current_url().await.map(|u| u.to_string());
            panic!("no {css} on the page ({url:?}): {e}\n{}", text(c).await)
        }
    }
}

/// Clicks `css` once it is on the page (after a form post the next page may still be loading).
async fn click(c: &Client, css: &str) {
    find(c, css).await.click().await.unwrap();
}

#[actix_web::test]
async fn an_operator_finds_a_workflow_reads_its_trail_and_cancels_it() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    crate::console::set_password(&app, "ops");
    let (id, _) = app.raise_alert("OPS-1").await;
    app.resolved_normal_ticket().await;
    assert_eq!(app.post_native(b"{\"ticket_number\": 7").await.status, 400);

    sign_in(&c, &app.base, "ops", PASSWORD).await;
    click(&c, "nav a[href='/admin/workflows']").await;
    find(&c, "select[name=state]")
        .await
        .send_keys("alerted")
        .await
        .unwrap();
    click(&c, "form.filters button[type=submit]").await;
    wait_query(&c, "state=alerted").await;
    let rows = c
        .find_all(Locator::Css("[data-workflow-id]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "only the alerted workflow");
    shoot(&c, "workflows").await;
    click(&c, &format!("[data-workflow-id=\"{id}\"] a")).await;
    wait_text(&c, "Audit chain verified").await;
    assert!(text(&c).await.contains("alert raised"));
    shoot(&c, "workflow").await;
    find(&c, "input[name=reason]")
        .await
        .send_keys("the excavator called: duplicate")
        .await
        .unwrap();
    click(&c, "[data-action=cancel]").await;
    // One more tap, on a page that says the open alert closes unanswered.
    wait_text(&c, "alert closes").await;
    assert_eq!(app.workflow(&id).await["state"], "alerted");
    shoot(&c, "workflow-cancel-confirm").await;
    click(&c, "[data-action=confirm-cancel]").await;
    let w = app.wait_state(&id, "cancelled").await;
    let ev = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "cancelled")
        .unwrap()
        .clone();
    assert_eq!(ev["principal"], "operator:ops");
    wait_text(&c, "State: cancelled").await;

    // An Open Ticket from GA811: the center's custom fields, as it labels them, open on a tap;
    // its buffered outline is drawn dotted around the dig area.
    {
        let mut conn = app.db.write().unwrap();
        aegis::db::centers::add(
            &mut conn,
            "GA811",
            aegis::db::centers::CenterFormat::Openticket,
            "ga811-bearer-secret-0123456789",
        )
        .unwrap();
    }
    let r = app
        .client
        .post(format!("{}/v1/webhooks/GA811/openticket", app.base))
        .header("content-type", "application/json")
        .bearer_auth("ga811-bearer-secret-0123456789")
        .body(fixture("openticket/GA-240222-001001.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ga: serde_json::Value = r.json().await.unwrap();
    let ga = ga["workflow_id"].as_str().unwrap().to_owned();
    app.wait_for(&ga, "settled", |w| {
        w["state"] != "received" && w["state"] != "validated" && w["state"] != "scored"
    })
    .await;
    c.goto(&format!("{}/admin/workflows/{ga}", app.base))
        .await
        .unwrap();
    wait_text(&c, "What the center says").await;
    click(&c, "details.center-fields summary").await;
    wait_text(&c, "Response By").await;
    shoot_at(&c, "openticket-workflow", "details.center-fields").await;
    shoot_at(&c, "openticket-map", "svg.facility-map").await;

    click(&c, "nav a[href='/admin/dead-letters']").await;
    find(&c, "[data-action=redrive]").await;
    shoot(&c, "dead-letters").await;
    // The center's daily summary lists a ticket that never came: operators see it.
    let today = test_now().date_naive().format("%m/%d/%Y").to_string();
    let summary = String::from_utf8(fixture("summary-empty.txt"))
        .unwrap()
        .replace("05/11/2022", &today)
        .replace(
            "End of List",
            "2022112200077-000 - Emergency\r\nEnd of List",
        )
        .replace("TOTAL = 0000", "TOTAL = 0001");
    let r = app.post_summary_text("USAN", &summary, true).await;
    assert_eq!(r.status, 200, "{}", r.body);
    click(&c, "nav a[href='/admin/missing']").await;
    wait_text(&c, "Still missing: 2022112200077-000").await;
    shoot(&c, "missing").await;
    click(&c, "nav a[href='/admin/system']").await;
    wait_text(&c, "Active model").await;
    shoot(&c, "system").await;
    c.close().await.unwrap();
}

#[actix_web::test]
async fn the_map_shows_what_is_buried_and_an_operator_imports_a_layer_from_the_page() {
    use crate::layer_files;
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    crate::console::set_password(&app, "ops");
    crate::console::set_password(&app, "officer-1");
    let dir = std::env::temp_dir().join(format!("aegis-map-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mains = layer_files::mains_shapefile(&dir, true);
    let r = app
        .put_bytes(
            "/v1/admin/facility-layers/gas-mains?class=gas_distribution&attr=id%3DASSET_ID",
            mains.media_type,
            mains.bytes.clone(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // An operator imports the water layer from the browser: a GeoPackage, chosen as a file.
    let _water = layer_files::water_geopackage(&dir);
    let gpkg = dir.join("water.gpkg");
    sign_in(&c, &app.base, "ops", PASSWORD).await;
    click(&c, "nav a[href='/admin/facilities']").await;
    wait_text(&c, "gas-mains").await;
    find(&c, "input[name=name]")
        .await
        .send_keys("water")
        .await
        .unwrap();
    find(&c, "select[name=class]")
        .await
        .send_keys("water")
        .await
        .unwrap();
    find(&c, "input[name=file]")
        .await
        .send_keys(gpkg.to_str().unwrap())
        .await
        .unwrap();
    click(&c, "[data-action=import]").await;
    wait_query(&c, "imported=water").await;
    wait_text(&c, "Imported water").await;
    let layers = app.get("/v1/admin/facility-layers/water", &app.token).await;
    assert_eq!(layers.body["active_version"], 1, "{}", layers.body);
    assert_eq!(layers.body["current"]["imported_by"], "operator:ops");
    assert_eq!(layers.body["current"]["source_crs"], "EPSG:3310");
    shoot(&c, "facility-layers").await;
    // A broken file from the page: nothing imported, the reason shown.
    let bad = dir.join("broken.geojson");
    std::fs::write(&bad, r#"{"type":"FeatureCollection","features":[]}"#).unwrap();
    find(&c, "input[name=name]")
        .await
        .send_keys("water")
        .await
        .unwrap();
    find(&c, "input[name=file]")
        .await
        .send_keys(bad.to_str().unwrap())
        .await
        .unwrap();
    click(&c, "[data-action=import]").await;
    wait_text(&c, "Nothing was imported").await;
    assert!(text(&c).await.contains("no features"));
    let layers = app.get("/v1/admin/facility-layers/water", &app.token).await;
    assert_eq!(layers.body["active_version"], 1);

    // A directional bore across the main and around the hydrant: an alert with its map.
    let mut t = fixture_json("emergency-directional-drilling.json");
    t["ticket_number"] = json!("MAP-1");
    t["excavator"]["id"] = json!("EX-MAP-1");
    t["location"]["polygon_wkt"] = json!(format!(
        "POLYGON{}",
        layer_files::square_wkt(60.0, 0.0, 360.0)
    ));
    let (lon, lat) = layer_files::TICKET;
    t["location"]["longitude"] = json!(lon);
    t["location"]["latitude"] = json!(lat);
    let r = app.post_ticket(&t).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    let w = app.wait_state(&id, "alerted").await;
    assert_eq!(w["screening"]["category"], "conflict");
    let alert = w["alert"]["id"].as_str().unwrap().to_owned();
    c.delete_all_cookies().await.unwrap();
    sign_in(&c, &app.base, "officer-1", PASSWORD).await;
    c.goto(&format!("{}/alerts/{alert}", app.base))
        .await
        .unwrap();
    find(&c, "svg.facility-map").await;
    let page = text(&c).await;
    assert!(
        page.contains("Conflict: a facility inside its tolerance zone"),
        "{page}"
    );
    assert!(page.contains("gas-mains · M-1"), "{page}");
    assert!(page.contains("water · W-1"), "{page}");
    let svg = find(&c, "svg.facility-map")
        .await
        .html(false)
        .await
        .unwrap();
    assert!(svg.contains("#FFD100"), "gas in yellow");
    assert!(svg.contains("#0072CE"), "water in blue");
    assert!(svg.contains(" ft</text>"), "a scale bar in feet");
    assert!(!svg.contains("http"), "nothing outside Aegis is fetched");
    let markers = c
        .find_all(Locator::Css("svg.facility-map g.marker"))
        .await
        .unwrap();
    assert!(markers.len() >= 2, "{} markers", markers.len());
    // Legible on a phone: the map fits the screen's width.
    phone(&c, true).await;
    let width: f64 = c
        .execute(
            "return document.querySelector('svg.facility-map').getBoundingClientRect().width",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!((280.0..=360.0).contains(&width), "{width}");
    let (scroll, inner) = widths(&c).await;
    assert_eq!(inner, 360, "a phone's width");
    assert!(
        scroll <= inner,
        "the alert page scrolls sideways: {scroll} > {inner}"
    );
    phone(&c, false).await;
    shoot(&c, "alert").await;
    shoot_at(&c, "alert-map", "svg.facility-map").await;
}

#[actix_web::test]
async fn the_queue_is_in_priority_order_in_words_and_fits_a_phone() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let Some(app) = spawn_with(Backend::Sqlite, |s| s.demo.enabled = true).await else {
        return;
    };
    crate::console::set_password(&app, "officer-1");
    let alerts = crate::priority::four_alerts(&app).await;
    sign_in(&c, &app.base, "officer-1", PASSWORD).await;
    let last = alerts[3]["alert"]["id"].as_str().unwrap().to_owned();
    find(&c, &format!("[data-alert-id=\"{last}\"]")).await;
    let order: Vec<String> = {
        let mut out = Vec::new();
        for e in c.find_all(Locator::Css("[data-alert-id]")).await.unwrap() {
            out.push(e.attr("data-alert-id").await.unwrap().unwrap());
        }
        out
    };
    let expected: Vec<String> = alerts
        .iter()
        .map(|w| w["alert"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        order, expected,
        "the console lists the queue as the API does"
    );
    let body = text(&c).await;
    for words in [
        "overdue",
        "gas transmission ",
        "× a usual ticket",
        "directional drilling",
    ] {
        assert!(body.contains(words), "the queue says {words:?}: {body}");
    }
    // On a 360 px phone nothing is cut off and nothing scrolls sideways.
    phone(&c, true).await;
    let (scroll, inner) = widths(&c).await;
    assert_eq!(inner, 360, "a phone's width");
    assert!(
        scroll <= inner,
        "the queue scrolls sideways: {scroll} > {inner}"
    );
    phone(&c, false).await;
    shoot(&c, "queue-priority").await;
}

/// The officer at 2 a.m., on a 360 px phone: the bore across the gas transmission corridor on
/// top with the transmission line named first, the stale emergency apart below; the alert page
/// says why it is an alert, what is most dangerous there, that nobody was reached and how to
/// fix it; resolving takes a chosen disposition and one more tap; nothing scrolls sideways.
#[actix_web::test]
async fn the_officer_on_a_phone_sees_the_most_dangerous_dig_first_and_resolves_deliberately() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let Some(app) = spawn_with(Backend::Sqlite, |s| s.demo.enabled = true).await else {
        return;
    };
    crate::console::set_password(&app, "officer-1");
    let alerts = crate::priority::four_alerts(&app).await;
    let id_of = |i: usize| alerts[i]["alert"]["id"].as_str().unwrap().to_owned();
    phone(&c, true).await;
    sign_in(&c, &app.base, "officer-1", PASSWORD).await;
    find(&c, &format!("[data-alert-id=\"{}\"]", id_of(3))).await;
    let (scroll, inner) = widths(&c).await;
    assert_eq!(inner, 360, "a phone's width");
    assert!(
        scroll <= inner,
        "the queue scrolls sideways: {scroll} > {inner}"
    );

    // The top row names the transmission line first; the stale one sits below its heading.
    let rows = c.find_all(Locator::Css("[data-alert-id]")).await.unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].attr("data-alert-id").await.unwrap(), Some(id_of(0)));
    let top = rows[0].text().await.unwrap();
    let buried = top.lines().find(|l| l.contains(" ft")).unwrap_or_default();
    assert!(
        buried.starts_with("gas transmission"),
        "the most dangerous line leads: {top}"
    );
    assert!(buried.contains("inside its 100 ft zone"), "{top}");
    let heading = find(&c, "h1").await.text().await.unwrap();
    assert!(heading.contains("Open alerts (3)"), "{heading}");
    assert!(heading.contains("1 stale"), "{heading}");
    let stale_row = find(&c, &format!("li.stale[data-alert-id=\"{}\"]", id_of(3))).await;
    assert!(stale_row.text().await.unwrap().contains("Q-STALE"));
    shoot(&c, "phone-queue").await;

    // The stale emergency says it alerts by the standing rule, not as high risk, and that
    // nobody was reached, with the commands that fix it.
    c.goto(&format!("{}/alerts/{}", app.base, id_of(3)))
        .await
        .unwrap();
    let why = find(&c, "[data-raised-because]")
        .await
        .text()
        .await
        .unwrap();
    assert!(why.contains("emergency"), "{why}");
    assert!(why.contains("standing rule"), "{why}");
    assert!(!text(&c).await.contains("[LOW RISK]"));
    let nobody = find(&c, "[data-nobody-reached]")
        .await
        .text()
        .await
        .unwrap();
    assert!(nobody.contains("aegis rosters put"), "{nobody}");
    shoot(&c, "phone-alert-stale").await;

    // The bore across the corridor: the transmission line first on the page and on the map.
    c.goto(&format!("{}/alerts/{}", app.base, id_of(0)))
        .await
        .unwrap();
    wait_text(&c, "Most dangerous: gas transmission").await;
    let (scroll, inner) = widths(&c).await;
    assert!(
        scroll <= inner,
        "the alert page scrolls sideways: {scroll} > {inner}"
    );
    let first_marker = find(&c, "svg.facility-map g.marker")
        .await
        .html(false)
        .await
        .unwrap();
    assert!(first_marker.contains(">1<"), "{first_marker}");
    assert!(
        first_marker.contains("GAS TRANSMISSION"),
        "marker 1 is the transmission line, labelled: {first_marker}"
    );
    shoot(&c, "phone-alert").await;
    shoot_at(&c, "phone-alert-map", "svg.facility-map").await;

    // Nothing is chosen for the officer: Resolve without a choice resolves nothing.
    let checked: i64 = c
        .execute(
            "return document.querySelectorAll('input[name=disposition]:checked').length",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert_eq!(checked, 0, "no disposition preselected");
    click(&c, "[data-action=resolve]").await;
    let workflow = alerts[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.workflow(&workflow).await["state"], "alerted");
    click(&c, "input[name=disposition][value=locator_dispatched]").await;
    click(&c, "[data-action=resolve]").await;
    wait_text(
        &c,
        "Nobody has acknowledged it: your acknowledgement is recorded first",
    )
    .await;
    let (scroll, inner) = widths(&c).await;
    assert!(
        scroll <= inner,
        "the confirmation scrolls sideways: {scroll} > {inner}"
    );
    shoot(&c, "phone-resolve-confirm").await;
    assert_eq!(app.workflow(&workflow).await["state"], "alerted");
    click(&c, "[data-action=confirm-resolve]").await;
    let w = app.wait_state(&workflow, "resolved").await;
    let events: Vec<&str> = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    let acked = events.iter().position(|e| *e == "acknowledged");
    let resolved = events.iter().position(|e| *e == "resolved");
    assert!(acked.is_some() && acked < resolved, "{events:?}");
    assert_eq!(w["alert"]["acknowledged_by"], "officer:officer-1");
    wait_text(&c, "State: resolved").await;
    shoot(&c, "phone-alert-resolved").await;
    c.close().await.unwrap();
}

/// The damage prevention manager's Reports page on a desk and on a 360 px phone: the known
/// history's charts drawn (bars stacked by screening, lines for the rates), nothing scrolling
/// sideways but the wide tables inside their own box; and the investigation form opened from
/// an alert fits a phone too.
#[actix_web::test]
async fn the_reports_page_draws_the_program_on_a_desk_and_a_phone() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let Some(app) = spawn_with(Backend::Sqlite, |s| {
        s.testing.manual_clock = true;
        s.console.timezone = "UTC".into();
    })
    .await
    else {
        return;
    };
    let _center = crate::reports::known_history(&app).await;
    let (workflow, _) = app.raise_alert("BR-INV").await;
    crate::console::set_password(&app, "officer-1");
    sign_in(&c, &app.base, "officer-1", PASSWORD).await;
    c.goto(&format!(
        "{}/reports?from=2026-11-01&until=2026-12-30&bucket=week&year=2026",
        app.base
    ))
    .await
    .unwrap();
    find(&c, "section[data-report=\"alerts\"] svg.chart").await;
    // The volume chart's bars: one per week with tickets, per screening category.
    let bars = c
        .find_all(Locator::Css(
            "section[data-report=\"volume\"] svg.chart rect",
        ))
        .await
        .unwrap();
    assert!(bars.len() >= 3, "the weeks' bars are drawn: {}", bars.len());
    let drawn = c
        .execute(
            "return [...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().width)",
            vec![],
        )
        .await
        .unwrap();
    let widths_drawn: Vec<f64> = drawn
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_f64().unwrap())
        .collect();
    assert_eq!(widths_drawn.len(), 4);
    assert!(widths_drawn.iter().all(|w| *w > 300.0), "{widths_drawn:?}");
    shoot(&c, "reports").await;
    shoot_at(&c, "reports-scorecard", "section[data-by=\"excavator\"]").await;
    phone(&c, true).await;
    let (scroll, inner) = widths(&c).await;
    assert_eq!(inner, 360, "a phone's width");
    assert!(
        scroll <= inner,
        "the Reports page scrolls sideways: {scroll} > {inner}"
    );
    let on_phone = c
        .execute(
            "return [...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().right)",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        on_phone
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r.as_f64().unwrap() <= 360.0),
        "a chart is cut off at 360 px: {on_phone}"
    );

    // The investigation form from the alert's workflow, on the phone.
    c.goto(&format!(
        "{}/investigations/new?workflow={workflow}",
        app.base
    ))
    .await
    .unwrap();
    find(&c, "select[name=root_cause]").await;
    let (scroll, inner) = widths(&c).await;
    assert!(
        scroll <= inner,
        "the form scrolls sideways: {scroll} > {inner}"
    );
    phone(&c, false).await;
    shoot(&c, "investigation-form").await;

    // The operator's Model page: the live figures (too few damages to rank here) and the
    // reliability diagram.
    c.delete_all_cookies().await.unwrap();
    crate::console::set_password(&app, "ops");
    sign_in(&c, &app.base, "ops", PASSWORD).await;
    c.goto(&format!("{}/admin/model", app.base)).await.unwrap();
    find(&c, "[data-ranking-note]").await;
    find(&c, "svg.chart").await;
    shoot(&c, "model").await;
    shoot_at(&c, "model-calibration", "figure").await;
}
