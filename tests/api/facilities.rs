//! What is buried (contract §10) from outside: layers imported as a member's GIS exports them
//! (a zipped shapefile in State Plane feet, a GeoPackage in California Albers metres, RFC 7946
//! GeoJSON), every ticket screened against them with distances checked to the foot against
//! geometry computed independently (see `layer_files`), bad files refused whole while the
//! previous version keeps screening, and automatic clearing answering the center.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::layer_files::{self, Expected, LayerFile, square_wkt};

async fn import(app: &TestApp, name: &str, query: &str, file: &LayerFile) -> Reply {
    app.put_bytes(
        &format!("/v1/admin/facility-layers/{name}?{query}"),
        file.media_type,
        file.bytes.clone(),
    )
    .await
}

/// `normal.json` as `number`, digging where `location` says (merged over its own).
fn ticket_at(number: &str, location: Value) -> Value {
    let mut t = fixture_json("normal.json");
    t["ticket_number"] = json!(number);
    t["excavator"]["id"] = json!(format!("EX-{number}"));
    if let (Some(l), Some(extra)) = (t["location"].as_object_mut(), location.as_object()) {
        for (k, v) in extra {
            l.insert(k.clone(), v.clone());
        }
    }
    t
}

/// Posts the ticket and waits until it has been screened: its read-back.
async fn screened(app: &TestApp, ticket: &Value) -> Value {
    let r = app.post_ticket(ticket).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    app.wait_for(&id, "screened", |w| !w["screening"].is_null())
        .await
}

fn layer<'a>(screening: &'a Value, name: &str) -> &'a Value {
    screening["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no layer {name} in {screening:#}"))
}

fn assert_feet(found: &Value, expected: &Expected) {
    let got = found
        .as_f64()
        .unwrap_or_else(|| panic!("{found} is not a distance"));
    assert!(
        (got - expected.feet).abs() <= 1.0,
        "{}: Aegis says {got} ft, geometry says {:.2} ft",
        expected.id,
        expected.feet
    );
}

#[actix_web::test]
async fn layers_in_three_formats_screen_tickets_to_the_foot() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_app(backend).await else {
            continue;
        };
        let dir = tempfile_dir();
        let mains = layer_files::mains_shapefile(&dir, true);
        let water = layer_files::water_geopackage(&dir);
        let telecom = layer_files::telecom_geojson();

        let r = import(
            &app,
            "gas-mains",
            "class=gas_distribution&attr=id%3DASSET_ID&attr=pressure%3DMAOP&attr=install_year%3DINST_YEAR",
            &mains,
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["active_version"], 1);
        assert_eq!(r.body["current"]["source_crs"], "EPSG:2227");
        assert_eq!(r.body["current"]["format"], "shapefile");
        assert_eq!(r.body["current"]["features"], 3);
        assert_eq!(r.body["current"]["vertices"], 6);
        assert_eq!(r.body["buffer_ft"], 25.0, "the class's default zone");
        let r = import(&app, "water", "class=water", &water).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["current"]["source_crs"], "EPSG:3310");
        let r = import(&app, "telecom", "class=telecom&close_ft=300", &telecom).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["current"]["source_crs"], "EPSG:4326");

        // The ticket's point: nothing within a zone, the main and the hydrant within close_ft.
        let w = screened(&app, &ticket_at("SCR-1", json!({}))).await;
        let s = &w["screening"];
        assert_eq!(s["category"], "close", "{s:#}");
        let gas = layer(s, "gas-mains");
        assert_eq!(
            (gas["version"].clone(), gas["class"].clone()),
            (json!(1), json!("gas_distribution"))
        );
        assert_eq!(gas["within_buffer"], false);
        assert_feet(&gas["nearest_ft"], &mains.expected[0]);
        let listed = gas["facilities"].as_array().unwrap();
        assert_eq!(listed.len(), 1, "only M-1 is within 250 ft: {listed:#?}");
        assert_eq!(listed[0]["id"], "M-1");
        assert_feet(&listed[0]["distance_ft"], &mains.expected[0]);
        let attrs = &listed[0]["attributes"];
        assert_eq!(attrs["pressure"], 60.0, "MAOP mapped to pressure: {attrs}");
        assert_eq!(attrs["install_year"], 1987);
        assert_eq!(attrs["material"], "PE");
        assert_eq!(attrs["diameter"], 4.0);
        let wat = layer(s, "water");
        assert_feet(&wat["nearest_ft"], &water.expected[0]);
        assert_eq!(wat["facilities"][0]["id"], "W-1");
        assert_eq!(wat["facilities"].as_array().unwrap().len(), 1);
        let tel = layer(s, "telecom");
        let far = tel["nearest_ft"].as_f64().unwrap();
        assert!(
            (far - telecom.expected[0].feet).abs() < 0.01 * telecom.expected[0].feet,
            "{far} vs {}",
            telecom.expected[0].feet
        );
        assert!(tel["facilities"].as_array().unwrap().is_empty());
        // The trail names each layer's version.
        let ev = w["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["event"] == "screened")
            .unwrap();
        let versions: Vec<(String, u64)> = ev["detail"]["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["name"].as_str().unwrap().to_owned(),
                    l["version"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            versions,
            [
                ("gas-mains".into(), 1),
                ("telecom".into(), 1),
                ("water".into(), 1)
            ]
        );

        // Every facility at its own distance: a dig area around each (a 2 ft square) finds it
        // at its distance less the square's half-width, to the foot.
        for (n, (east, north, id)) in [
            (300.0_f64, 0.0, "M-1"),
            (0.0, 330.0, "M-2"),
            (-640.0, 0.0, "M-3"),
        ]
        .into_iter()
        .enumerate()
        {
            let w = screened(
                &app,
                &ticket_at(
                    &format!("SCR-P{n}"),
                    json!({"polygon_wkt": format!("POLYGON{}", square_wkt(east, north, 2.0))}),
                ),
            )
            .await;
            let gas = layer(&w["screening"], "gas-mains");
            let got = gas["facilities"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == id)
                .unwrap_or_else(|| panic!("{id} not listed: {gas:#}"));
            let want = match id {
                "M-1" => 180.0 - 1.0,
                "M-2" => 70.0 - 1.0,
                _ => 60.0 - 1.0,
            };
            let d = got["distance_ft"].as_f64().unwrap();
            assert!(
                (d - want).abs() <= 1.0,
                "{id}: {d} ft, constructed {want} ft"
            );
        }

        // A dig area across the main is a conflict at 0 ft; three polygons, one of them across.
        let across = format!("POLYGON{}", square_wkt(120.0, 0.0, 40.0));
        let w = screened(&app, &ticket_at("SCR-2", json!({"polygon_wkt": across}))).await;
        assert_eq!(w["screening"]["category"], "conflict");
        let gas = layer(&w["screening"], "gas-mains");
        assert_eq!(gas["within_buffer"], true);
        assert_eq!(gas["nearest_ft"], 0.0);
        assert_eq!(gas["facilities"][0]["id"], "M-1");
        let three = format!(
            "MULTIPOLYGON({},{},{})",
            square_wkt(-2_000.0, 0.0, 20.0),
            square_wkt(-1_500.0, 0.0, 20.0),
            square_wkt(120.0, 30.0, 10.0)
        );
        let w = screened(&app, &ticket_at("SCR-3", json!({"polygon_wkt": three}))).await;
        assert_eq!(
            w["screening"]["category"], "conflict",
            "{:#}",
            w["screening"]
        );
        // Two of those polygons lie beyond anything mapped; a ticket wholly out there is
        // unknown, whatever lies nearer than the map knows.
        let beyond = format!("POLYGON{}", square_wkt(-2_000.0, 0.0, 20.0));
        let w = screened(&app, &ticket_at("SCR-4", json!({"polygon_wkt": beyond}))).await;
        assert_eq!(w["screening"]["category"], "unknown");
        assert_eq!(w["screening"]["unknown"], "outside_coverage");

        // An absurd polygon (a degree's typo: over a hundred miles) is not a dig area: the
        // point is screened instead; alone, it places nothing and the ticket is rejected.
        let absurd = "POLYGON((-123 37.97, -121 37.97, -121 37.98, -123 37.98, -123 37.97))";
        let w = screened(&app, &ticket_at("SCR-5", json!({"polygon_wkt": absurd}))).await;
        assert_eq!(w["screening"]["category"], "close", "screened at the point");
        assert!(
            w["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["code"] == "absurd"),
            "{:#}",
            w["warnings"]
        );
        let mut alone = ticket_at("SCR-6", json!({"polygon_wkt": absurd}));
        for k in ["latitude", "longitude", "address"] {
            alone["location"][k] = Value::Null;
        }
        let r = app.post_ticket(&alone).await;
        assert_eq!(r.status, 202, "{}", r.body);
        let w = app
            .wait_state(r.body["workflow_id"].as_str().unwrap(), "rejected")
            .await;
        let rejected = w["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["event"] == "rejected")
            .unwrap();
        assert!(
            rejected["detail"].to_string().contains("not a dig area"),
            "{rejected:#}"
        );
        let bow = "POLYGON((-122.0312 37.9778, -122.0310 37.9780, -122.0310 37.9778, -122.0312 37.9780, -122.0312 37.9778))";
        let w = screened(&app, &ticket_at("SCR-7", json!({"polygon_wkt": bow}))).await;
        assert!(
            w["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["code"] == "self_intersecting"),
            "{:#}",
            w["warnings"]
        );
        assert_eq!(
            w["screening"]["category"], "close",
            "a bow tie is screened as drawn"
        );

        // The list filters by category.
        let close = app
            .get("/v1/admin/workflows?screening=close", &app.token)
            .await;
        assert_eq!(close.status, 200);
        let numbers: Vec<&str> = close.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["ticket_number"].as_str().unwrap())
            .collect();
        assert!(
            numbers.contains(&"SCR-1") && !numbers.contains(&"SCR-2"),
            "{numbers:?}"
        );
        assert!(
            close.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["screening"] == "close")
        );
        let bad = app
            .get("/v1/admin/workflows?screening=maybe", &app.token)
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        let stats = app.get("/v1/admin/stats", &app.token).await;
        assert!(
            stats.body["screenings"]["conflict"].as_i64().unwrap() >= 2,
            "{}",
            stats.body
        );
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("aegis-layers-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[actix_web::test]
async fn a_bad_file_changes_nothing_and_says_what_is_wrong() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_with(backend, |s| s.facilities.max_bytes = 64 * 1024).await else {
            continue;
        };
        let dir = tempfile_dir();
        let mains = layer_files::mains_shapefile(&dir, true);
        let r = import(
            &app,
            "gas-mains",
            "class=gas_distribution&attr=id%3DASSET_ID",
            &mains,
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);

        let geojson = |features: Value| LayerFile {
            bytes: json!({"type": "FeatureCollection", "features": features})
                .to_string()
                .into_bytes(),
            media_type: "application/geo+json",
            expected: vec![],
        };
        let bowtie = json!([
            {"type": "Feature", "id": "ok-1", "properties": {},
             "geometry": {"type": "LineString", "coordinates": [[-122.03, 37.97], [-122.02, 37.97]]}},
            {"type": "Feature", "id": "fence-7", "properties": {},
             "geometry": {"type": "Polygon", "coordinates": [[[-122.03, 37.97], [-122.02, 37.98], [-122.02, 37.97], [-122.03, 37.98], [-122.03, 37.97]]]}},
            {"type": "Feature", "id": "nowhere", "properties": {}, "geometry": null}
        ]);
        let no_prj = layer_files::mains_shapefile(&dir, false);
        let cases: Vec<(&str, LayerFile, &str)> = vec![
            ("no .prj", no_prj, "no_crs"),
            ("broken features", geojson(bowtie), "unreadable_feature"),
            ("no features", geojson(json!([])), "empty"),
            (
                "not a GeoPackage",
                LayerFile {
                    bytes: b"PK\x03\x04 this is not sqlite".to_vec(),
                    media_type: "application/geopackage+sqlite3",
                    expected: vec![],
                },
                "unreadable_file",
            ),
            (
                "too large",
                LayerFile {
                    bytes: vec![b' '; 100 * 1024],
                    media_type: "application/geo+json",
                    expected: vec![],
                },
                "too_large",
            ),
        ];
        for (what, file, code) in cases {
            let r = import(&app, "gas-mains", "", &file).await;
            assert_eq!(r.status, 422, "{what}: {}", r.body);
            assert_eq!(r.body["error"]["code"], "VALIDATION_FAILED", "{what}");
            let problems = r.body["error"]["details"]["problems"].as_array().unwrap();
            assert_eq!(problems[0]["code"], code, "{what}: {}", r.body);
            if what == "broken features" {
                let features = r.body["error"]["details"]["features"].as_array().unwrap();
                let listed: Vec<(u64, &str)> = features
                    .iter()
                    .map(|f| (f["index"].as_u64().unwrap(), f["id"].as_str().unwrap_or("")))
                    .collect();
                assert_eq!(listed, [(1, "fence-7"), (2, "nowhere")], "{features:#?}");
                assert!(features[0]["reason"].as_str().unwrap().contains("broken"));
            }
        }
        for (query, field) in [
            ("class=pipes", "class"),
            ("close_ft=10&buffer_ft=25", "close_ft"),
            ("buffer_ft=much", "buffer_ft"),
            ("attr=colour%3DC", "attr"),
        ] {
            let r = import(&app, "gas-mains", query, &mains).await;
            assert_eq!(r.status, 422, "{query}: {}", r.body);
            assert!(r.body.to_string().contains(field), "{query}: {}", r.body);
        }
        let r = import(&app, "Gas Mains!", "class=other", &mains).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = app
            .put_bytes("/v1/admin/facility-layers/x", "text/csv", b"a,b".to_vec())
            .await;
        assert_eq!(r.status, 415, "{}", r.body);

        // Still version 1, screening.
        let l = app
            .get("/v1/admin/facility-layers/gas-mains", &app.token)
            .await;
        assert_eq!(l.body["active_version"], 1, "{}", l.body);
        assert_eq!(l.body["versions"].as_array().unwrap().len(), 1);
        assert_eq!(
            app.count("facilities"),
            3,
            "no row of a refused file was written"
        );
        let w = screened(&app, &ticket_at("BAD-1", json!({}))).await;
        assert_eq!(layer(&w["screening"], "gas-mains")["version"], 1);

        // The same shapefile without its .prj imports when the CRS is named.
        let no_prj = layer_files::mains_shapefile(&dir, false);
        let r = import(
            &app,
            "gas-mains",
            "crs=EPSG%3A2227&attr=id%3DASSET_ID",
            &no_prj,
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["active_version"], 2);
        assert_eq!(r.body["class"], "gas_distribution", "kept from version 1");
        let w = screened(&app, &ticket_at("BAD-2", json!({}))).await;
        let gas = layer(&w["screening"], "gas-mains");
        assert_eq!(
            gas["version"], 2,
            "the new version screens at once on this node"
        );
        assert_feet(&gas["nearest_ft"], &mains.expected[0]);

        // Retired, it screens no more; its versions stay.
        let r = app
            .client
            .delete(format!("{}/v1/admin/facility-layers/gas-mains", app.base))
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap();
        let r = reply(r).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body["active_version"].is_null());
        assert_eq!(r.body["retired_by"], "operator:ops");
        let w = screened(&app, &ticket_at("BAD-3", json!({}))).await;
        assert_eq!(w["screening"]["category"], "unknown");
        assert_eq!(w["screening"]["unknown"], "no_layer");
        let l = app
            .get("/v1/admin/facility-layers/gas-mains", &app.token)
            .await;
        assert_eq!(l.body["versions"].as_array().unwrap().len(), 2);

        // Made active again, its last version screens once more; asking twice changes nothing.
        for _ in 0..2 {
            let r = app
                .post_json(
                    "/v1/admin/facility-layers/gas-mains/reactivate",
                    &app.token,
                    &json!({}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.body["active_version"], 2);
            assert!(r.body["retired_by"].is_null());
        }
        let w = screened(&app, &ticket_at("BAD-4", json!({}))).await;
        let gas = layer(&w["screening"], "gas-mains");
        assert_eq!(gas["version"], 2, "{}", w["screening"]);
        assert_feet(&gas["nearest_ft"], &mains.expected[0]);
        let r = app
            .post_json(
                "/v1/admin/facility-layers/no-such-layer/reactivate",
                &app.token,
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 404, "{}", r.body);
    }
}

/// A point `east` and `north` feet from the ticket's, in State Plane, as a location.
fn point_at(east: f64, north: f64) -> Value {
    let (x, y) = layer_files::transform("EPSG:4326", "EPSG:2227", &[layer_files::TICKET])[0];
    let (lon, lat) = layer_files::transform("EPSG:2227", "EPSG:4326", &[(x + east, y + north)])[0];
    json!({"longitude": lon, "latitude": lat})
}

/// Posts the ticket and waits until its workflow has come to rest (resolved or alerted).
async fn settled(app: &TestApp, ticket: &Value) -> Value {
    let r = app.post_ticket(ticket).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    app.wait_for(&id, "resolved or alerted", |w| {
        w["state"] == "resolved" || w["state"] == "alerted"
    })
    .await
}

fn trail(w: &Value) -> Vec<String> {
    w["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect()
}

crate::both_backends!(a_clear_ticket_is_cleared_and_answered_and_nothing_else_is);

async fn a_clear_ticket_is_cleared_and_answered_and_nothing_else_is(backend: Backend) {
    use crate::positive_response_server::{PASSWORD, PositiveResponseServer, USER};
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let center = PositiveResponseServer::start();
    let put = app
        .put_json(
            "/v1/admin/centers/TEST/response-api",
            &app.token,
            &json!({"url": center.base, "username": USER, "password": PASSWORD, "station": "PGE01"}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let mapped = app
        .put_json(
            "/v1/admin/centers/TEST/response-codes",
            &app.token,
            &json!({"no_conflict": "CODE 1", "locator_dispatched": "CODE 2"}),
        )
        .await;
    assert_eq!(mapped.status, 200, "{}", mapped.body);
    let dir = tempfile_dir();
    let mains = layer_files::mains_shapefile(&dir, true);
    let r = import(
        &app,
        "gas-mains",
        "class=gas_distribution&attr=id%3DASSET_ID",
        &mains,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The member's map is complete for 2,000 ft around the ticket.
    let square = format!("POLYGON{}", square_wkt(0.0, 0.0, 4_000.0));
    let coverage = layer_files::wkt_to_geojson(&square);
    let r = app
        .put_json(
            "/v1/admin/facility-coverage",
            &app.token,
            &json!({"geometry": coverage}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .put_json(
            "/v1/admin/facility-coverage",
            &app.token,
            &json!({"geometry": {"type": "Point", "coordinates": [0, 0]}}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);

    // Refused policies: a type never cleared, a center nobody registered.
    for (center_code, body, status) in [
        (
            "TEST",
            json!({"enabled": true, "ticket_types": ["emergency"]}),
            422,
        ),
        (
            "TEST",
            json!({"enabled": true, "ticket_types": ["cancel"]}),
            422,
        ),
        (
            "NOPE",
            json!({"enabled": true, "ticket_types": ["normal"]}),
            404,
        ),
    ] {
        let r = app
            .put_json(
                &format!("/v1/admin/centers/{center_code}/auto-clear"),
                &app.token,
                &body,
            )
            .await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
    }
    // Off until set: a clear ticket is the band's, as before.
    let before = settled(&app, &ticket_at("CLR-0", point_at(1_500.0, 0.0))).await;
    assert_eq!(before["screening"]["category"], "clear");
    assert!(!trail(&before).contains(&"cleared".to_owned()));
    let r = app
        .put_json(
            "/v1/admin/centers/TEST/auto-clear",
            &app.token,
            &json!({"enabled": true, "ticket_types": ["normal"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["ticket_types"], json!(["normal"]));

    // Inside the coverage, 1,500 ft from the nearest main (beyond the layers' extents, which
    // the coverage replaces): clear, cleared, answered.
    let cleared = settled(&app, &ticket_at("CLR-1", point_at(1_500.0, 0.0))).await;
    assert_eq!(
        cleared["screening"]["category"], "clear",
        "{:#}",
        cleared["screening"]
    );
    assert_eq!(cleared["state"], "resolved");
    assert!(cleared["alert"].is_null(), "no alert for a cleared ticket");
    let ev = cleared["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "cleared")
        .unwrap_or_else(|| panic!("{:?}", trail(&cleared)));
    assert_eq!(ev["principal"], "system:screening");
    assert_eq!(ev["detail"]["disposition"], "no_conflict");
    assert_eq!(ev["detail"]["layers"], json!(["gas-mains@1"]));
    let id = cleared["id"].as_str().unwrap().to_owned();
    let w = app
        .wait_for(&id, "its response posted", |w| {
            w["response"]["state"] == "posted"
        })
        .await;
    assert_eq!(w["response"]["code"], "CODE 1");
    let posts = center.posts("CLR-1");
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].1["locateCode"], "CODE 1");
    assert_eq!(posts[0].1["station"], "PGE01");

    // Close, a conflict, outside the coverage, a type the center did not list: never cleared.
    let across = format!("POLYGON{}", square_wkt(120.0, 0.0, 40.0));
    let mut design = ticket_at("CLR-5", point_at(1_500.0, 0.0));
    design["type"] = json!("design");
    for (ticket, category) in [
        (ticket_at("CLR-2", json!({})), "close"),
        (
            ticket_at("CLR-3", json!({"polygon_wkt": across})),
            "conflict",
        ),
        (ticket_at("CLR-4", point_at(6_000.0, 0.0)), "unknown"),
        (design, "clear"),
    ] {
        let number = ticket["ticket_number"].as_str().unwrap().to_owned();
        let w = settled(&app, &ticket).await;
        assert_eq!(w["screening"]["category"], category, "{number}");
        assert!(
            !trail(&w).contains(&"cleared".to_owned()),
            "{number}: {:?}",
            trail(&w)
        );
        assert!(w["response"].is_null(), "{number} was answered");
        assert!(center.posts(&number).is_empty(), "{number} was posted");
    }

    // Operators see how many were cleared today.
    let stats = app.get("/v1/admin/stats", &app.token).await;
    let days = stats.body["cleared_per_day"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!(days[0]["count"], 1);
    assert_eq!(
        days[0]["day"],
        test_now().format("%Y-%m-%d").to_string(),
        "the day on the service's clock"
    );
    // The recorder is the process's: other tests' apps (center TEST too) may have counted.
    let metrics = app.metrics_text().await;
    let counted = metrics
        .lines()
        .find_map(|l| l.strip_prefix("aegis_tickets_cleared_total{center=\"TEST\"} "))
        .and_then(|v| v.trim().parse::<f64>().ok());
    assert!(counted.is_some_and(|n| n >= 1.0), "{metrics}");
}
