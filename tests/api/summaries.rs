//! Daily summaries (contract §9, issue 16 part 3), on both backends: USA North 811's e-mail text
//! signed as its OneCall deliveries are (the contract's own empty example, and a list with a
//! ticket that never arrived and a wrong total), JSON signed as a native center's webhooks, a
//! late ticket clearing its "missing", and bodies that are not summaries answered `422` and kept.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    summaries_are_reconciled_both_ways_and_missing_tickets_show,
    what_is_not_a_summary_is_refused_and_kept,
    skipped_sequence_numbers_are_reported_until_they_arrive
);

fn refs(v: &Value) -> Vec<(String, i64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ticket_number"].as_str().unwrap().to_owned(),
                r["revision"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn summaries_are_reconciled_both_ways_and_missing_tickets_show(backend: Backend) {
    let smtp = crate::receivers::SmtpSink::start(0);
    let Some(app) = spawn_with(backend, |s| s.notify.smtp_url = smtp.url()).await else {
        return;
    };
    let oc = app.onecall_center();
    // The operators' roster: missing tickets reach it as alerts reach officers.
    let r = app
        .put_json(
            "/v1/admin/users/ops/channels",
            &app.token,
            &json!({"channels": [{"kind": "email", "address": "ops@example.org"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .put_json(
            "/v1/admin/rosters/operators",
            &app.token,
            &json!({"members": ["ops"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The contract's example, as its e-mail carries it: nothing sent that day, nothing missing.
    let example = String::from_utf8(fixture("summary-empty.txt")).unwrap();
    let r = app.post_summary_text(&oc, &example, true).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["station"].as_str(), r.body["date"].as_str()),
        (Some("TST811"), Some("2022-05-11"))
    );
    assert_eq!(
        (r.body["listed"].as_i64(), r.body["total"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(r.body["count_mismatch"], false);
    assert!(r.body["missing"].as_array().unwrap().is_empty());
    assert_eq!(
        app.post_summary_text(&oc, &example, false).await.status,
        401
    );

    // Today: one ticket received, the summary lists it and one that never came, TOTAL wrong.
    let xml = String::from_utf8(fixture("CA.xml")).unwrap();
    assert_eq!(
        app.post_onecall_to(
            &oc,
            &aegis::formats::onecall::envelope(&xml, "sum-1", ""),
            None
        )
        .await
        .status,
        202
    );
    let today = test_now().date_naive();
    let listing = example
        .replace("05/11/2022", &today.format("%m/%d/%Y").to_string())
        .replace(
            "End of List",
            "2022091500019-000 - Original\r\n2022091500020-001 - AMND\r\nEnd of List",
        )
        .replace("TOTAL = 0000", "TOTAL = 0003");
    let r = app.post_summary_text(&oc, &listing, true).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(refs(&r.body["missing"]), vec![("2022091500020".into(), 1)]);
    assert!(r.body["unexpected"].as_array().unwrap().is_empty());
    assert_eq!(r.body["count_mismatch"], true);
    assert_eq!(
        (r.body["listed"].as_i64(), r.body["total"].as_i64()),
        (Some(2), Some(3))
    );
    assert_eq!(
        refs(&r.body["still_missing"]),
        vec![("2022091500020".into(), 1)]
    );
    // The operator's e-mail names the center, the day and the missing ticket.
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1, "the empty summary told nobody");
    if let Ok(path) = std::env::var("AEGIS_KEEP_EMAIL") {
        std::fs::write(path, &mails[0]).unwrap();
    }
    let mail = mail_parser::MessageParser::default()
        .parse(&mails[0])
        .unwrap();
    let subject = mail.subject().unwrap().to_owned();
    assert!(
        subject.starts_with("[MISSING TICKETS] 1 ticket(s) from") && subject.contains(&oc),
        "{subject}"
    );
    let text = mail.body_text(0).unwrap().to_string();
    assert!(
        text.contains("2022091500020-001") && text.contains("/admin/missing"),
        "{text}"
    );
    assert_eq!(
        app.wait_for_delivery_state("missing_tickets", "sent").await,
        1
    );

    // Operators see it listed and alerted on.
    let list = app
        .get(
            &format!("/v1/admin/reconciliations?center={oc}&date={today}"),
            &app.token,
        )
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/v1/admin/reconciliations?date=11/05/2022", &app.token)
            .await
            .status,
        422
    );
    assert_eq!(
        app.get("/v1/admin/reconciliations", &app.officer_token)
            .await
            .status,
        403
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !app
        .metrics_text()
        .await
        .contains(&format!("aegis_tickets_missing{{center=\"{oc}\"}} 1"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the missing ticket never reached the gauge"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // And in the console.
    let (client, cookie) = crate::console::signed_in(&app, "ops").await;
    let (status, html) = crate::console::page(&app, &client, "/admin/missing", &cookie).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-missing=\"1\""), "{html}");
    assert!(html.contains("Still missing: <span class=\"hash\">2022091500020-001</span>"));

    // The missing ticket arrives late: no longer missing, the result kept as it was.
    let late = xml
        .replace(
            "<onecall:TicketNumber>2022091500019<",
            "<onecall:TicketNumber>2022091500020<",
        )
        .replace(
            "<onecall:TicketRevisionNumber>000<",
            "<onecall:TicketRevisionNumber>001<",
        );
    assert_eq!(
        app.post_onecall_to(
            &oc,
            &aegis::formats::onecall::envelope(&late, "sum-2", ""),
            None
        )
        .await
        .status,
        202
    );
    let list = app
        .get(
            &format!("/v1/admin/reconciliations?center={oc}"),
            &app.token,
        )
        .await;
    let latest = &list.body[0];
    assert_eq!(refs(&latest["missing"]).len(), 1);
    assert!(latest["still_missing"].as_array().unwrap().is_empty());

    // A native center sends JSON, signed as its webhooks: what it did not list is unexpected.
    let native = app.resolved_normal_ticket().await;
    let number = app.workflow(&native).await["ticket_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"station": "TEST01", "date": today.to_string(), "tickets": [], "total": 0});
    let r = app
        .post_signed_json(
            "/v1/webhooks/TEST/summary",
            "sum-native-1",
            &body.to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(refs(&r.body["unexpected"]), vec![(number, 0)]);
    assert!(r.body["missing"].as_array().unwrap().is_empty());
}

async fn what_is_not_a_summary_is_refused_and_kept(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let r = app
        .post_summary_text("USAN", "hello\r\nTOTAL = lots\r\n", true)
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let problems = r.body["error"]["details"]["problems"].as_array().unwrap();
    let fields: Vec<&str> = problems
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    for f in ["station", "date", "list"] {
        assert!(fields.contains(&f), "{fields:?}");
    }
    assert!(
        problems
            .iter()
            .any(|p| p["message"].as_str().unwrap().contains("not a number"))
    );
    let garbage = String::from_utf8(fixture("summary-empty.txt"))
        .unwrap()
        .replace("End of List", "<html>not a list</html>\r\nEnd of List");
    let r = app.post_summary_text("USAN", &garbage, true).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a transmission line")
    );
    let bad_json = app
        .post_signed_json(
            "/v1/webhooks/TEST/summary",
            "sum-bad",
            r#"{"station": "S", "date": "yesterday", "tickets": [], "total": 0}"#,
        )
        .await;
    assert_eq!(bad_json.status, 422, "{}", bad_json.body);

    // Kept for operators, who dismiss it (a summary is not redriven: the center sends it again).
    let kept = app
        .get("/v1/admin/dead-letters?kind=unreadable_summary", &app.token)
        .await;
    let items = kept.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{}", kept.body);
    let id = items[0]["id"].as_str().unwrap();
    let redrive = app
        .post_json(
            &format!("/v1/admin/dead-letters/{id}/redrive"),
            &app.token,
            &json!({}),
        )
        .await;
    assert_eq!(redrive.status, 409);
    let dismissed = app
        .post_json(
            &format!("/v1/admin/dead-letters/{id}/dismiss"),
            &app.token,
            &json!({"reason": "asked USA North to resend"}),
        )
        .await;
    assert_eq!(dismissed.status, 200);
    // Nothing was reconciled from them.
    let list = app.get("/v1/admin/reconciliations", &app.token).await;
    assert!(list.body.as_array().unwrap().is_empty());
    let xml_type = app
        .client
        .post(format!("{}/v1/webhooks/USAN/summary", app.base))
        .header("content-type", "application/xml")
        .body("<x/>")
        .send()
        .await
        .unwrap();
    assert_eq!(xml_type.status(), 415);
}

/// Posts CA.xml as ticket `number`, delivered as `notification` with `sequence` for PGE01.
async fn post_numbered(
    app: &TestApp,
    center: &str,
    number: &str,
    notification: &str,
    sequence: u64,
) -> u16 {
    let xml = String::from_utf8(fixture("CA.xml")).unwrap().replace(
        "<onecall:TicketNumber>2022091500019<",
        &format!("<onecall:TicketNumber>{number}<"),
    );
    let mut env: Value = serde_json::from_str(&aegis::formats::onecall::envelope(
        &xml,
        notification,
        number,
    ))
    .unwrap();
    env["message"]["stationCode"] = json!("PGE01");
    env["message"]["sequenceNumber"] = json!(sequence);
    app.post_onecall_to(center, &env.to_string(), None)
        .await
        .status
}

async fn gaps(app: &TestApp, center: &str) -> Vec<(u64, u64)> {
    let r = app.get("/v1/admin/sequence-gaps", &app.token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            assert_eq!(
                (g["center"].as_str(), g["station"].as_str()),
                (Some(center), Some("PGE01"))
            );
            (g["from"].as_u64().unwrap(), g["to"].as_u64().unwrap())
        })
        .collect()
}

async fn skipped_sequence_numbers_are_reported_until_they_arrive(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| s.reconcile.gap_grace_secs = 0).await else {
        return;
    };
    let oc = app.onecall_center();
    for (n, seq) in [
        ("2022091500101", 1),
        ("2022091500102", 2),
        ("2022091500105", 5),
    ] {
        assert_eq!(
            post_numbered(&app, &oc, n, &format!("g-{seq}"), seq).await,
            202
        );
    }
    // The center retries a delivery: the same notification, noted once.
    assert_eq!(
        post_numbered(&app, &oc, "2022091500105", "g-5", 5).await,
        200
    );
    assert_eq!(gaps(&app, &oc).await, vec![(3, 4)]);
    assert_eq!(
        app.get("/v1/admin/sequence-gaps", &app.officer_token)
            .await
            .status,
        403
    );
    // 4 arrives late: only 3 is missing, and the gauge says so.
    assert_eq!(
        post_numbered(&app, &oc, "2022091500104", "g-4", 4).await,
        202
    );
    assert_eq!(gaps(&app, &oc).await, vec![(3, 3)]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !app
        .metrics_text()
        .await
        .contains(&format!("aegis_sequence_gaps{{center=\"{oc}\"}} 1"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the gap never reached the gauge"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // 3 arrives; then the center starts counting from 1 again: no gap either way.
    assert_eq!(
        post_numbered(&app, &oc, "2022091500103", "g-3", 3).await,
        202
    );
    assert!(gaps(&app, &oc).await.is_empty());
    assert_eq!(
        post_numbered(&app, &oc, "2022091500201", "g-r1", 1).await,
        202
    );
    assert_eq!(
        post_numbered(&app, &oc, "2022091500202", "g-r2", 2).await,
        202
    );
    assert!(gaps(&app, &oc).await.is_empty(), "a reset is not a gap");
}
