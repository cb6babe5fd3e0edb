//! The console's Reports and investigation pages over HTTP (issue 33): the Reports page reads
//! the known history's figures (the ones `reports.rs` checks through the API) with a chart per
//! trend and each table's CSV the API's own rows; an officer opens an investigation from the
//! alert page's form, edits it, is refused closing it, and an operator closes it — every step
//! on the workflow's trail.

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE, LOCATION};
use serde_json::Value;

use crate::console::{csrf_of, page, post_form, signed_in};
use crate::helpers::*;
use crate::reports::known_history;

crate::both_backends!(
    the_reports_page_shows_the_known_history_and_exports_its_rows,
    an_investigation_is_opened_edited_and_closed_from_the_console
);

/// The period of the known history, as the console's picker sends it (days in UTC here).
const PICKED: &str = "from=2026-11-01&until=2026-12-30&bucket=month&year=2026";

fn figure(html: &str, name: &str) -> String {
    let key = format!("data-figure=\"{name}\">");
    let at = html
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} on {html}"))
        + key.len();
    html[at..].split("</dd>").next().unwrap().trim().to_owned()
}

async fn the_reports_page_shows_the_known_history_and_exports_its_rows(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| {
        s.testing.manual_clock = true;
        s.console.timezone = "UTC".into();
    })
    .await
    else {
        return;
    };
    let _center = known_history(&app).await;
    let (client, cookie) = signed_in(&app, "officer-1").await;
    let (status, html) = page(&app, &client, &format!("/reports?{PICKED}"), &cookie).await;
    assert_eq!(status, 200, "{html}");
    // The headline figures are the known ones: eight excavation tickets, two damages (250 per
    // 1,000), one of eight answered on time, acknowledgements after 0, 10 and 30 minutes.
    assert_eq!(figure(&html, "tickets"), "8");
    assert_eq!(figure(&html, "damages-per-1000"), "250.0");
    assert!(
        html.contains("<td>excavation practices</td>"),
        "a cause group in words"
    );
    assert_eq!(figure(&html, "on-time"), "12.5 %");
    assert_eq!(figure(&html, "ack-p50"), "10.0 min");
    assert_eq!(figure(&html, "part-d-tickets"), "8");
    assert_eq!(figure(&html, "part-d-damages"), "2");
    // A chart for each trend, drawn on the server; every section with its CSV.
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 4, "{html}");
    assert!(!html.contains("<script"), "no script on the Reports page");
    for report in [
        "damage-rate",
        "volume",
        "timeliness",
        "alerts",
        "phmsa-part-d",
    ] {
        assert!(
            html.contains(&format!("data-report=\"{report}\"")),
            "{report}"
        );
    }
    assert!(
        html.contains("/reports/export/dirt?"),
        "the DIRT export is linked"
    );

    // The scorecard's CSV is the API's rows for the same instants.
    let csv = client
        .get(format!(
            "{}/reports/export/damage-rate?{PICKED}&by=excavator",
            app.base
        ))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let disposition = csv.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("aegis-damage-rate-by-excavator-20261101-20261231.csv"),
        "{disposition}"
    );
    let from_console = csv.text().await.unwrap();
    let api = app
        .client
        .get(format!(
            "{}/v1/reports/damage-rate.csv?from=2026-11-01T00:00:00Z&until=2026-12-31T00:00:00Z&by=excavator&tz=UTC",
            app.base
        ))
        .bearer_auth(&app.officer_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(from_console, api);
    assert!(from_console.starts_with(
        "excavator,tickets,damages,near_misses,damages_per_1000,dug_before_legal_start\n"
    ));

    // A bad picker value is a page that says why, not a 500.
    let (status, html) = page(&app, &client, "/reports?from=yesterday", &cookie).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("is not a date"), "{html}");
    let (status, _) = page(&app, &client, "/reports/export/nonsense", &cookie).await;
    assert_eq!(status, 404);
    // Nobody signed in is sent to sign in.
    let anonymous = client
        .get(format!("{}/reports", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
}

async fn an_investigation_is_opened_edited_and_closed_from_the_console(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| s.console.timezone = "UTC".into()).await else {
        return;
    };
    let (workflow, alert) = app.raise_alert("INV-C1").await;
    let (client, cookie) = signed_in(&app, "officer-1").await;
    // The alert page leads to the form.
    let (_, html) = page(&app, &client, &format!("/alerts/{alert}"), &cookie).await;
    let new = format!("/investigations/new?workflow={workflow}");
    assert!(html.contains(&new.replace('&', "&amp;")), "{html}");
    let (status, form) = page(&app, &client, &new, &cookie).await;
    assert_eq!(status, 200, "{form}");
    // Prefilled from the ticket: its method, in the closed vocabulary.
    assert!(
        form.contains("value=\"directional_drilling\" selected"),
        "{form}"
    );
    let csrf = csrf_of(&form);
    // Without a kind and a facility nothing is opened, and the page says what is missing.
    let refused = client
        .post(format!("{}/investigations", app.base))
        .header(COOKIE, &cookie)
        .header("origin", &app.base)
        .form(&[("csrf", csrf.as_str()), ("workflow", workflow.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let said = refused.text().await.unwrap();
    assert!(
        said.contains("kind") && said.contains("facility.class"),
        "{said}"
    );
    let opened = client
        .post(format!("{}/investigations", app.base))
        .header(COOKIE, &cookie)
        .header("origin", &app.base)
        .form(&[
            ("csrf", csrf.as_str()),
            ("workflow", workflow.as_str()),
            ("kind", "damage"),
            ("facility", "class:telecom"),
            ("occurred_at", "2026-11-23T10:30"),
            ("root_cause", "excavation.no_test_hole"),
            ("cost_usd", "4,500"),
            ("narrative", "bore through a fibre duct"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 303);
    let to = opened.headers()[LOCATION].to_str().unwrap().to_owned();
    let id = to.trim_start_matches("/investigations/").to_owned();
    let stored = app
        .get("/v1/admin/investigations?kind=damage", &app.officer_token)
        .await;
    let item = stored.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id.as_str())
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(item["cost_usd"], 4500.0, "{}", stored.body);
    assert_eq!(item["occurred_at"], "2026-11-23T10:30:00Z");
    assert_eq!(item["opened_by"], "officer:officer-1");

    // Edited from its page; an officer is not offered (nor allowed) the close.
    let (_, html) = page(&app, &client, &to, &cookie).await;
    assert!(!html.contains("data-action=\"close-investigation\""));
    let saved = post_form(
        &app,
        &client,
        &to,
        &cookie,
        &[
            ("csrf", csrf.as_str()),
            ("version", "1"),
            ("marks", "absent"),
        ],
    )
    .await;
    assert_eq!(saved, 303);
    let closing = post_form(
        &app,
        &client,
        &format!("{to}/close"),
        &cookie,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(closing, 403);

    // The operator closes it; the list shows it closed, the trail has every step.
    let (ops, ops_cookie) = signed_in(&app, "ops").await;
    let (_, html) = page(&app, &ops, &to, &ops_cookie).await;
    assert!(html.contains("data-action=\"close-investigation\""));
    let ops_csrf = csrf_of(&html);
    let closed = post_form(
        &app,
        &ops,
        &format!("{to}/close"),
        &ops_cookie,
        &[("csrf", ops_csrf.as_str()), ("version", "2")],
    )
    .await;
    assert_eq!(closed, 303);
    let (_, list) = page(&app, &ops, "/investigations?state=closed", &ops_cookie).await;
    assert!(
        list.contains(&format!("data-investigation-id=\"{id}\"")),
        "{list}"
    );
    let trail: Vec<String> = app.workflow(&workflow).await["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
    for step in [
        "investigation_opened",
        "investigation_changed",
        "investigation_closed",
    ] {
        assert!(trail.contains(&step.to_owned()), "{step} in {trail:?}");
    }
}
