//! Several Aegis processes sharing one PostgreSQL database and one RabbitMQ broker.
//!
//! Each test gets its own database and its own queue and exchange names (a random prefix), and
//! deletes them at the end. Under `CI=true` an unreachable broker fails the test.

use std::collections::{BTreeSet, HashMap};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aegis::db::centers::{self, CenterFormat};
use aegis::db::principals::{self, Role};
use futures::StreamExt;
use lapin::options::{
    BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use serde_json::{Value, json};

use crate::helpers::*;

const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

fn amqp_url() -> String {
    std::env::var("AEGIS_TEST_AMQP").unwrap_or_else(|_| AMQP.to_owned())
}

/// A broker connection, or `None` (loudly) outside CI when RabbitMQ is unreachable.
async fn broker() -> Option<Connection> {
    match Connection::connect(&amqp_url(), ConnectionProperties::default()).await {
        Ok(c) => Some(c),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("RabbitMQ at {} is required under CI=true: {e}", amqp_url());
            }
            eprintln!("SKIPPED: RabbitMQ is unreachable ({e}); set CI=true to make this fatal");
            None
        }
    }
}

struct Cluster {
    url: String,
    pg_name: String,
    prefix: String,
    token: String,
    nodes: Vec<Option<Node>>,
    conn: Connection,
    client: reqwest::Client,
}

struct Node {
    process: ServerProcess,
    name: String,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.nodes.clear();
        drop_pg_database(&self.pg_name);
        // Also when a test failed halfway: leave no queues behind.
        for q in ["work", "dead"] {
            let _ = Command::new("rabbitmqctl")
                .args(["delete_queue", &format!("{}.{q}", self.prefix)])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Node logs go to `$AEGIS_TEST_LOGS/<node>.log` when that is set, else nowhere.
fn node_log(name: &str) -> Stdio {
    match std::env::var("AEGIS_TEST_LOGS") {
        Ok(dir) => {
            std::fs::File::create(format!("{dir}/{name}.log")).map_or(Stdio::null(), Stdio::from)
        }
        Err(_) => Stdio::null(),
    }
}

impl Cluster {
    async fn start(n: usize) -> Option<Self> {
        let conn = broker().await?;
        let (url, pg_name) = pg_database()?;
        let prefix = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let token = {
            let s = test_settings(url.clone());
            let db = aegis::startup::open_db(&s).unwrap();
            let mut c = db.write().unwrap();
            centers::add(&mut c, "TEST", CenterFormat::Native, SECRET).unwrap();
            principals::add(&mut c, "ops", Role::Operator).unwrap()
        };
        let mut cluster = Self {
            url,
            pg_name,
            prefix,
            token,
            nodes: Vec::new(),
            conn,
            client: reqwest::Client::new(),
        };
        for i in 0..n {
            let node = cluster.spawn(i).await;
            cluster.nodes.push(Some(node));
        }
        Some(cluster)
    }

    async fn spawn(&self, i: usize) -> Node {
        let name = format!("{}-n{i}", self.prefix);
        let env = [
            ("AEGIS__DATABASE__URL", self.url.clone()),
            ("AEGIS__BUS__URL", amqp_url()),
            ("AEGIS__BUS__PREFIX", self.prefix.clone()),
            ("AEGIS__RUNTIME__NODE_ID", name.clone()),
            ("AEGIS__RUNTIME__STALL_AFTER_MS", "2000".to_owned()),
            ("AEGIS__RUNTIME__SWEEP_EVERY_MS", "500".to_owned()),
            ("AEGIS__RUNTIME__PREFETCH", "32".to_owned()),
            ("AEGIS__LOG__LEVEL", "info".to_owned()),
        ];
        // Ready means the database and the broker both answer.
        let process = start_process(&env, node_log(&name), "/readyz").await;
        Node { process, name }
    }

    fn base(&self, i: usize) -> String {
        self.nodes[i].as_ref().unwrap().process.base.clone()
    }

    /// A live node's address.
    fn any(&self) -> String {
        self.nodes
            .iter()
            .flatten()
            .next()
            .unwrap()
            .process
            .base
            .clone()
    }

    /// Posts tickets round-robin to `targets`; calls `midway` halfway. Returns acknowledged ids.
    async fn burst(
        &mut self,
        n: usize,
        targets: &[usize],
        midway: impl AsyncFnOnce(&mut Self),
    ) -> Vec<String> {
        let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut midway = Some(midway);
        for i in 0..n {
            if i == n / 2
                && let Some(f) = midway.take()
            {
                f(self).await;
            }
            let live: Vec<usize> = targets
                .iter()
                .copied()
                .filter(|t| self.nodes[*t].is_some())
                .collect();
            let base = self.base(live[i % live.len()]);
            let permit = sem.clone().acquire_owned().await.unwrap();
            let mut t = fixture_json(if i % 4 == 0 {
                "emergency-directional-drilling.json"
            } else {
                "normal.json"
            });
            t["ticket_number"] = json!(format!("M{i:05}"));
            let (client, tx) = (self.client.clone(), tx.clone());
            tokio::spawn(async move {
                let acked = post_signed(&client, &base, &format!("msg_{i}"), &t).await;
                drop(permit);
                let _ = tx.send(acked);
            });
        }
        drop(tx);
        let mut acked = Vec::new();
        while let Some(a) = rx.recv().await {
            acked.extend(a);
        }
        acked
    }

    /// Waits until every id rests (alerted or ended) and checks its audit trail; returns the
    /// number of events of those workflows.
    async fn settle(&self, ids: &[String]) -> usize {
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut events = 0;
        for id in ids {
            loop {
                let r = self
                    .client
                    .get(format!("{}/v1/admin/workflows/{id}", self.any()))
                    .bearer_auth(&self.token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200, "acknowledged workflow {id} is missing");
                let w: Value = r.json().await.unwrap();
                let state = w["state"].as_str().unwrap().to_owned();
                if matches!(state.as_str(), "resolved" | "alerted" | "rejected") {
                    assert_eq!(w["chain_valid"], true, "{w:#}");
                    let evs = w["events"].as_array().unwrap();
                    for (i, e) in evs.iter().enumerate() {
                        assert_eq!(e["seq"], i as i64 + 1, "gap or repeat in {id}");
                    }
                    for kind in [
                        "received",
                        "validated",
                        "scored",
                        "alert_raised",
                        "auto_resolved",
                    ] {
                        assert!(
                            evs.iter().filter(|e| e["event"] == kind).count() <= 1,
                            "{kind} twice in {id}"
                        );
                    }
                    events += evs.len();
                    break;
                }
                assert!(Instant::now() < deadline, "workflow {id} stuck in {state}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        events
    }

    async fn metric(&self, i: usize, name: &str) -> f64 {
        let text = metrics_of(&self.client, &self.base(i)).await;
        text.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    async fn cleanup_broker(&self) {
        let Ok(ch) = self.conn.create_channel().await else {
            return;
        };
        for q in ["work", "dead"] {
            let _ = ch
                .queue_delete(
                    format!("{}.{q}", self.prefix).as_str().into(),
                    QueueDeleteOptions::default(),
                )
                .await;
        }
        for x in ["events", "dlx"] {
            let _ = ch
                .exchange_delete(
                    format!("{}.{x}", self.prefix).as_str().into(),
                    Default::default(),
                )
                .await;
        }
    }
}

/// Collects every message of the events exchange, counted by message id.
async fn follow_events(
    conn: &Connection,
    prefix: &str,
) -> tokio::sync::mpsc::UnboundedReceiver<(String, String)> {
    let ch = conn.create_channel().await.unwrap();
    let q = ch
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    ch.queue_bind(
        q.name().clone(),
        format!("{prefix}.events").as_str().into(),
        "#".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    let mut consumer = ch
        .basic_consume(
            q.name().clone(),
            "".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let _ch = ch;
        while let Some(Ok(d)) = consumer.next().await {
            let id = d
                .properties
                .message_id()
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default();
            let wf = d
                .properties
                .correlation_id()
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default();
            if tx.send((id, wf)).is_err() {
                break;
            }
        }
    });
    rx
}

#[actix_web::test]
async fn work_is_shared_and_every_transition_is_published_once() {
    let Some(mut cluster) = Cluster::start(3).await else {
        return;
    };
    // The exchange exists once the first node declared it.
    let mut events = follow_events(&cluster.conn, &cluster.prefix).await;
    let ids = cluster.burst(300, &[0], async |_| {}).await;
    assert_eq!(ids.len(), 300);
    let total_events = cluster.settle(&ids).await;
    let mut consumed = Vec::new();
    for i in 0..3 {
        consumed.push(cluster.metric(i, "aegis_bus_consumed_total").await);
    }
    assert!(
        consumed.iter().filter(|c| **c > 0.0).count() >= 2,
        "work stayed on one node: {consumed:?}"
    );
    // Every transition of these workflows arrives on the events exchange, once per id.
    let wanted: BTreeSet<String> = ids.iter().cloned().collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.len() < total_events {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some((id, wf))) = tokio::time::timeout(left, events.recv()).await else {
            panic!(
                "only {} of {total_events} transitions were published",
                seen.len()
            );
        };
        if wanted.contains(&wf) {
            assert!(
                id.starts_with(&wf),
                "message id {id} names its workflow {wf}"
            );
            *seen.entry(id).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), total_events, "one message id per transition");
    cluster.cleanup_broker().await;
}

#[actix_web::test]
async fn a_node_killed_mid_burst_leaves_no_work_behind() {
    let Some(mut cluster) = Cluster::start(3).await else {
        return;
    };
    let ids = cluster
        .burst(400, &[0, 1, 2], async |c: &mut Cluster| {
            // SIGKILL one node while it holds unacknowledged work.
            c.nodes[0] = None;
        })
        .await;
    assert!(ids.len() >= 300, "{} acknowledged", ids.len());
    cluster.settle(&ids).await;
    cluster.cleanup_broker().await;
}

fn close_connections(names: &[String]) {
    let out = Command::new("rabbitmqctl")
        .args([
            "list_connections",
            "pid",
            "client_properties",
            "--quiet",
            "--no-table-headers",
        ])
        .output()
        .expect("rabbitmqctl");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut closed = 0;
    for line in text.lines() {
        if names.iter().any(|n| line.contains(n.as_str()))
            && let Some(pid) = line.split('\t').next()
        {
            let st = Command::new("rabbitmqctl")
                .args(["close_connection", pid.trim(), "test: connection cut"])
                .stdout(Stdio::null())
                .status();
            closed += usize::from(st.is_ok_and(|s| s.success()));
        }
    }
    assert!(
        closed >= names.len(),
        "closed {closed} connections of {names:?}: {text}"
    );
}

#[actix_web::test]
async fn cut_broker_connections_mid_burst_recover_without_loss() {
    let Some(mut cluster) = Cluster::start(2).await else {
        return;
    };
    let names: Vec<String> = cluster
        .nodes
        .iter()
        .flatten()
        .map(|n| n.name.clone())
        .collect();
    let ids = cluster
        .burst(300, &[0, 1], async move |_c: &mut Cluster| {
            close_connections(&names);
        })
        .await;
    assert!(
        ids.len() >= 290,
        "tickets are durable in PostgreSQL even while the bus is away: {}",
        ids.len()
    );
    cluster.settle(&ids).await;
    for i in 0..2 {
        let r = cluster
            .client
            .get(format!("{}/readyz", cluster.base(i)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "node {i} reconnected");
    }
    cluster.cleanup_broker().await;
}

/// Three nodes deliver notifications from one table: every delivery is claimed by one node
/// (`SKIP LOCKED`), so each (alert, channel) reaches its receiver exactly once, and the work is
/// shared.
#[actix_web::test]
async fn three_nodes_send_each_notification_once() {
    use crate::receivers::Receivers;
    let Some(cluster) = Cluster::start(3).await else {
        return;
    };
    let rx = Receivers::start();
    let secret = "whsec_YWVnaXMtd2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc=";
    {
        let mut c = aegis::startup::open_db(&test_settings(cluster.url.clone()))
            .unwrap()
            .write()
            .unwrap();
        principals::add(&mut c, "dana", Role::Officer).unwrap();
    }
    let put = |path: String, body: Value| {
        let (client, token, base) = (cluster.client.clone(), cluster.token.clone(), cluster.any());
        async move {
            let r = client
                .put(format!("{base}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        }
    };
    put(
        "/v1/admin/users/dana/channels".into(),
        json!({"channels": [
            {"kind": "webhook", "url": format!("{}/webhook/a", rx.base), "secret": secret},
            {"kind": "webhook", "url": format!("{}/webhook/b", rx.base), "secret": secret},
        ]}),
    )
    .await;
    put(
        "/v1/admin/rosters/safety-oncall".into(),
        json!({"members": ["dana"]}),
    )
    .await;
    let alerts = 60;
    for i in 0..alerts {
        let mut t = fixture_json("emergency-directional-drilling.json");
        t["ticket_number"] = json!(format!("MN{i:04}"));
        t["excavator"]["id"] = json!(format!("EX-MN{i}"));
        assert!(
            post_signed(
                &cluster.client,
                &cluster.base(i % 3),
                &format!("mn_{i}"),
                &t
            )
            .await
            .is_some()
        );
    }
    let expected = 2 * alerts;
    let got = rx
        .wait_for("/webhook/a", "every alert", |g| g.len() >= alerts)
        .await;
    let got_b = rx
        .wait_for("/webhook/b", "every alert", |g| g.len() >= alerts)
        .await;
    // Give a second sender, if there were one, time to show itself.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let all: Vec<_> = rx
        .received("/webhook/a")
        .into_iter()
        .chain(rx.received("/webhook/b"))
        .collect();
    let ids: BTreeSet<&String> = all.iter().map(|r| &r.headers["webhook-id"]).collect();
    assert_eq!(ids.len(), expected, "{} and {}", got.len(), got_b.len());
    assert_eq!(all.len(), expected, "a delivery was sent by two nodes");
    let mut senders = 0;
    for i in 0..3 {
        if cluster.metric(i, "aegis_notifications_total").await > 0.0 {
            senders += 1;
        }
    }
    assert!(senders >= 2, "one node sent everything");
    cluster.cleanup_broker().await;
}

#[actix_web::test]
async fn a_layer_imported_on_one_node_screens_on_the_other_within_seconds() {
    use crate::layer_files;
    let Some(cluster) = Cluster::start(2).await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("aegis-mn-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mains = layer_files::mains_shapefile(&dir, true);
    let water = layer_files::water_geopackage(&dir);
    let import = async |node: usize, name: &str, class: &str, file: &layer_files::LayerFile| {
        let r = cluster
            .client
            .put(format!(
                "{}/v1/admin/facility-layers/{name}?class={class}&attr=id%3DASSET_ID",
                cluster.base(node)
            ))
            .bearer_auth(&cluster.token)
            .header("content-type", file.media_type)
            .body(file.bytes.clone())
            .send()
            .await
            .unwrap();
        let r = reply(r).await;
        assert_eq!(r.status, 201, "{}", r.body);
        Instant::now()
    };
    let version_on = async |node: usize, layer: &str| {
        let text = metrics_of(&cluster.client, &cluster.base(node)).await;
        text.lines()
            .find_map(|l| {
                l.strip_prefix(&format!(
                    "aegis_facility_layer_version{{layer=\"{layer}\"}} "
                ))
            })
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    let wait_version = async |node: usize, layer: &str, want: f64, since: Instant| {
        loop {
            if version_on(node, layer).await == Some(want) {
                return since.elapsed();
            }
            assert!(
                since.elapsed() < Duration::from_secs(10),
                "node {node} never screened with {layer} v{want}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    // Version 1 on node 0; node 1 picks it up (it polls every 2 s).
    let at = import(0, "gas-mains", "gas_distribution", &mains).await;
    let took = wait_version(1, "gas-mains", 1.0, at).await;
    eprintln!("gas-mains v1 reached node 1 in {took:?}");
    // Version 2 and a second layer on node 1; node 0 picks both up.
    let at = import(1, "gas-mains", "gas_distribution", &mains).await;
    import(1, "water", "water", &water).await;
    let took = wait_version(0, "gas-mains", 2.0, at).await;
    wait_version(0, "water", 1.0, at).await;
    eprintln!("gas-mains v2 reached node 0 in {took:?}");
    // Tickets sent to either node (worked on by either) all screen with the new versions.
    let mut ids = Vec::new();
    for i in 0..6 {
        let mut t = fixture_json("normal.json");
        t["ticket_number"] = json!(format!("MN-SCR-{i}"));
        let acked = post_signed(
            &cluster.client,
            &cluster.base(i % 2),
            &format!("scr_{i}"),
            &t,
        )
        .await;
        ids.extend(acked);
    }
    assert_eq!(ids.len(), 6);
    cluster.settle(&ids).await;
    for id in &ids {
        let r = cluster
            .client
            .get(format!("{}/v1/admin/workflows/{id}", cluster.base(0)))
            .bearer_auth(&cluster.token)
            .send()
            .await
            .unwrap();
        let w: Value = r.json().await.unwrap();
        let layers: Vec<(String, u64)> = w["screening"]["layers"]
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
            layers,
            [("gas-mains".to_owned(), 2), ("water".to_owned(), 1)],
            "{id}"
        );
        assert_eq!(w["screening"]["category"], "close");
    }
    cluster.cleanup_broker().await;
}
