//! The runtime on its own, through in-memory ports (feature `test-support`): no HTTP, no
//! database, no broker, time moved by hand. Engine, directory, supervision, timers and
//! backpressure, each in milliseconds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use aegis_actors::ports::{Clock, ManualClock};
use aegis_actors::records::{AlertState, IntakeOutcome, TimerKind};
use aegis_actors::records::{Channel, SendResult};
use aegis_actors::services::admission::{Admit, AdmitError};
use aegis_actors::testing::{
    MemoryBus, MemoryStore, RecordingMessenger, RecordingResponder, ScriptedScorer,
    ScriptedScreener,
};
use aegis_actors::{Command, Deps, Runtime, RuntimeConfig, ScorerSlot, Signals, Step};
use aegis_workflows::lifecycle::{Event, State};
use aegis_workflows::notification::DeliveryPolicy;
use aegis_workflows::retry::RetryPolicy;
use aegis_workflows::roster::Roster;
use aegis_workflows::ticket::{Excavator, Location, Ticket, TicketType, Work};
use chrono::{DateTime, TimeDelta, Utc};

struct Harness {
    runtime: Runtime,
    store: Arc<MemoryStore>,
    bus: Arc<MemoryBus>,
    scorer: Arc<ScriptedScorer>,
    screener: Arc<ScriptedScreener>,
    clock: Arc<ManualClock>,
    messenger: Arc<RecordingMessenger>,
    responder: Arc<RecordingResponder>,
}

fn start(tweak: impl FnOnce(&mut RuntimeConfig)) -> Harness {
    let store = MemoryStore::new();
    let bus = MemoryBus::new();
    // Ticket numbers starting with `HIGH` score high; the rest low.
    let scorer = ScriptedScorer::new(|input| {
        if input.ticket_number.starts_with("HIGH") {
            0.9
        } else {
            0.0001
        }
    });
    // A ticket's remarks name how far the nearest main is (`main at 300 ft`); without that the
    // dig area is outside the mapped coverage.
    let screener = ScriptedScreener::new(|t| {
        let remarks = t.remarks.as_deref()?;
        let feet = remarks.strip_prefix("main at ")?.strip_suffix(" ft")?;
        feet.parse().ok()
    });
    let clock = Arc::new(ManualClock::new(t0()));
    let messenger = RecordingMessenger::new();
    let responder = RecordingResponder::new();
    let mut config = RuntimeConfig {
        durable_outbox: false,
        timer_poll: Duration::from_millis(10),
        sweep_every: Duration::from_secs(3_600),
        retry: RetryPolicy {
            max_attempts: 3,
            base_backoff_ms: 5,
            max_backoff_ms: 20,
        },
        ..RuntimeConfig::default()
    };
    tweak(&mut config);
    let health = aegis_actors::health::Health::default();
    let deps = Deps {
        store: store.clone(),
        bus: bus.clone(),
        scorer: ScorerSlot::new(scorer.clone(), &health),
        screener: screener.clone(),
        clock: clock.clone(),
        messenger: messenger.clone(),
        responder: responder.clone(),
        config,
        signals: Signals::default(),
        health,
    };
    Harness {
        runtime: Runtime::start(deps),
        store,
        bus,
        scorer,
        screener,
        clock,
        messenger,
        responder,
    }
}

/// Where every test's manual clock starts. Ticket times are set from it, so what a test sees
/// (timers set or not, due or overdue) is the same on any day the suite runs.
fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T17:30:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// `t0` moved by `delta`, in the zone USA North 811 writes its tickets in.
fn after_t0(delta: TimeDelta) -> Option<DateTime<chrono::FixedOffset>> {
    let pacific = chrono::FixedOffset::west_opt(8 * 3_600).unwrap();
    Some((t0() + delta).with_timezone(&pacific))
}

/// A ticket submitted 16 minutes before `t0`, whose legal start is four days later (that is
/// when its answer is due) and which expires four weeks later.
fn ticket(number: &str, revision: u32) -> Ticket {
    Ticket {
        ticket_number: number.into(),
        revision,
        kind: Some(TicketType::Normal),
        submitted_at: after_t0(-TimeDelta::minutes(16)),
        legal_start_at: after_t0(TimeDelta::hours(94) + TimeDelta::minutes(30)),
        expires_at: after_t0(TimeDelta::days(28)),
        excavator: Excavator {
            name: Some("Dana Ortiz".into()),
            ..Excavator::default()
        },
        work: Work {
            depth_inches: Some(36.0),
            ..Work::default()
        },
        location: Location {
            state: Some("CA".into()),
            latitude: Some(37.9779),
            longitude: Some(-122.0311),
            ..Location::default()
        },
        members: vec!["PGE".into()],
        ..Ticket::default()
    }
}

impl Harness {
    async fn admit(
        &self,
        t: Ticket,
        delivery: &str,
        content: &str,
    ) -> Result<IntakeOutcome, AdmitError> {
        self.runtime
            .admission
            .admit(Admit {
                center_id: 1,
                center: "TEST".into(),
                delivery_id: delivery.into(),
                format: "native".into(),
                ticket: t,
                ticket_json: "{}".into(),
                content_hash: content.into(),
                raw_payload: Vec::new(),
                content_type: "application/json".into(),
                sequence: None,
            })
            .await
    }

    async fn accepted(&self, t: Ticket, delivery: &str) -> String {
        match self.admit(t, delivery, delivery).await {
            Ok(IntakeOutcome::Accepted { workflow_id }) => workflow_id,
            other => panic!("not accepted: {other:?}"),
        }
    }

    async fn settles(&self, id: &str, want: State) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let now = self.store.state(id);
            if now == Some(want) {
                return;
            }
            assert!(Instant::now() < deadline, "{id} is {now:?}, never {want:?}");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    async fn command(&self, id: &str, command: Command) -> aegis_actors::StepOutcome {
        self.runtime
            .dispatcher
            .command(id, Step::Command { command })
            .await
            .unwrap()
    }
}

/// The alert change a delivery announces, by its key (`raised`, `escalated-1`…).
fn change_key(d: &aegis_actors::records::DeliveryRecord) -> String {
    d.subject.alert_change().expect("an alert's delivery").key()
}

fn kinds(store: &MemoryStore, id: &str) -> Vec<&'static str> {
    store.events(id).iter().map(|e| e.event.kind()).collect()
}

#[actix_rt::test]
async fn a_ticket_is_validated_scored_and_cleared_or_alerted_with_a_valid_chain() {
    let h = start(|_| {});
    let low = h.accepted(ticket("LOW-1", 0), "d1").await;
    let high = h.accepted(ticket("HIGH-1", 0), "d2").await;
    h.settles(&low, State::Resolved).await;
    h.settles(&high, State::Alerted).await;
    assert_eq!(
        kinds(&h.store, &low),
        [
            "received",
            "validated",
            "screened",
            "scored",
            "auto_resolved"
        ]
    );
    // No roster is set up here, so the trail says the alert reached nobody.
    assert_eq!(
        kinds(&h.store, &high),
        [
            "received",
            "validated",
            "screened",
            "scored",
            "alert_raised",
            "recipients_unreachable"
        ]
    );
    let alert = h.store.alert(&high).unwrap();
    assert_eq!((alert.state, alert.tier), (AlertState::Open, 0));
    let timers = h.store.timers(&high);
    // The first tier's deadline, and the ticket's due time (its legal start, four days after
    // the clock's now): a warning two hours before, and the moment it is overdue.
    let mut kinds: Vec<String> = timers.iter().map(|t| t.kind.name().to_owned()).collect();
    kinds.sort();
    assert_eq!(kinds, ["due_soon", "escalate", "overdue"]);
    let due = timers
        .iter()
        .find(|t| t.kind.name() == "overdue")
        .unwrap()
        .due_at;
    assert_eq!(due.to_rfc3339(), "2026-11-24T16:00:00+00:00");
    assert_eq!(Some(due.fixed_offset()), ticket("HIGH-1", 0).legal_start_at);
    // The trail is a hash chain from the genesis.
    let events = h.store.events(&high);
    let mut prev = aegis_workflows::audit::GENESIS.to_owned();
    for e in &events {
        assert_eq!(e.prev_hash, prev);
        prev = e.hash.clone();
    }
    assert!(h.store.score(&low).unwrap().probability < 0.01);
}

#[actix_rt::test]
async fn repeated_and_conflicting_deliveries_are_told_apart() {
    let h = start(|_| {});
    let id = h.accepted(ticket("HIGH-R", 0), "d1").await;
    let again = h.admit(ticket("HIGH-R", 0), "d1", "d1").await.unwrap();
    assert!(
        matches!(again, IntakeOutcome::Duplicate { ref workflow_id, .. } if *workflow_id == id)
    );
    let other = h
        .admit(ticket("HIGH-R", 0), "d2", "other content")
        .await
        .unwrap();
    assert_eq!(
        other,
        IntakeOutcome::RevisionConflict {
            workflow_id: id.clone()
        }
    );
    h.settles(&id, State::Alerted).await;
    // A later revision supersedes the earlier one still waiting for an officer, and closes its
    // alert.
    let rev1 = h.accepted(ticket("HIGH-R", 1), "d3").await;
    h.settles(&rev1, State::Alerted).await;
    h.settles(&id, State::Superseded).await;
    assert_eq!(h.store.alert(&id).unwrap().state, AlertState::Closed);
    assert!(h.store.timers(&id).is_empty());
}

#[actix_rt::test]
async fn a_panicking_step_is_retried_then_dead_lettered() {
    let h = start(|_| {});
    h.scorer.panic_on("LOW-FLAKY", 2);
    h.scorer.panic_on("LOW-POISON", u32::MAX);
    let flaky = h.accepted(ticket("LOW-FLAKY", 0), "d1").await;
    let poison = h.accepted(ticket("LOW-POISON", 0), "d2").await;
    h.settles(&flaky, State::Resolved).await;
    h.settles(&poison, State::Failed).await;
    let dead = h.store.dead_letters();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(
        dead[0].kind,
        aegis_actors::records::DeadLetterKind::StepFailed
    );
    assert_eq!(dead[0].workflow_id.as_deref(), Some(poison.as_str()));
    assert!(dead[0].error.contains("panicked"), "{}", dead[0].error);
    let failed = h.store.events(&poison).pop().unwrap();
    assert!(
        matches!(failed.event, Event::Failed { attempts: 3, .. }),
        "{failed:?}"
    );
    // An operator's retry, once the fault is gone, finishes it.
    h.scorer.panic_on("LOW-POISON", 0);
    h.command(
        &poison,
        Command::Retry {
            by: "operator:ops".into(),
        },
    )
    .await;
    h.settles(&poison, State::Resolved).await;
}

#[actix_rt::test]
async fn an_unacknowledged_alert_escalates_on_the_manual_clock_and_acknowledging_stops_it() {
    let h = start(|_| {});
    let id = h.accepted(ticket("HIGH-2", 0), "d1").await;
    h.settles(&id, State::Alerted).await;
    let deadline = h.store.alert(&id).unwrap().ack_deadline.unwrap();
    // Nothing happens before the deadline.
    h.clock.advance(TimeDelta::seconds(10));
    h.runtime.deps.signals.timers.notify_one();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(h.store.state(&id), Some(State::Alerted));
    h.clock
        .advance(deadline - h.clock.now() + TimeDelta::seconds(1));
    h.runtime.deps.signals.timers.notify_one();
    h.settles(&id, State::Escalated).await;
    let alert = h.store.alert(&id).unwrap();
    assert_eq!((alert.state, alert.tier), (AlertState::Escalated, 1));
    let out = h
        .command(
            &id,
            Command::Acknowledge {
                by: "officer:dana".into(),
                note: Some("on it".into()),
                via: None,
            },
        )
        .await;
    assert_eq!(out.state, State::Acknowledged);
    let alert = h.store.alert(&id).unwrap();
    assert_eq!(alert.acknowledged_by.as_deref(), Some("officer:dana"));
    assert!(alert.ack_deadline.is_none());
    assert!(
        h.store
            .timers(&id)
            .iter()
            .all(|t| !matches!(t.kind, TimerKind::Escalate { .. })),
        "escalation timers are gone (the due-time ones stay until a response is posted)"
    );
    // Time passing changes nothing now.
    h.clock.advance(TimeDelta::hours(2));
    h.runtime.deps.signals.timers.notify_one();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(h.store.state(&id), Some(State::Acknowledged));
    // Someone else acknowledging is told who was first; a second acknowledgement by the same
    // officer changes nothing.
    let err = h
        .runtime
        .dispatcher
        .command(
            &id,
            Step::Command {
                command: Command::Acknowledge {
                    by: "officer:lee".into(),
                    note: None,
                    via: None,
                },
            },
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("officer:dana"), "{err}");
}

#[actix_rt::test]
async fn intake_refuses_work_beyond_the_backlog_and_stores_nothing_it_refused() {
    let h = start(|c| c.max_backlog = 3);
    h.bus.hold_work(true);
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            h.accepted(ticket(&format!("LOW-B{i}"), 0), &format!("d{i}"))
                .await,
        );
    }
    // The work messages go out behind the answers; wait until all three are queued.
    let deadline = Instant::now() + Duration::from_secs(5);
    while aegis_actors::ports::Bus::backlog(h.bus.as_ref()) < Some(3) {
        assert!(Instant::now() < deadline, "work never queued");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let refused = h.admit(ticket("LOW-B9", 0), "d9", "d9").await;
    assert_eq!(refused, Err(AdmitError::Overloaded));
    h.bus.hold_work(false);
    for id in &ids {
        h.settles(id, State::Resolved).await;
    }
    // A settled ticket's work message is acknowledged just after its commit: until then it
    // still counts against the backlog, and intake is right to refuse.
    let drained_by = Instant::now() + Duration::from_secs(5);
    while aegis_actors::ports::Bus::backlog(h.bus.as_ref()) != Some(0) {
        assert!(Instant::now() < drained_by, "the backlog never drained");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let accepted = h.admit(ticket("LOW-B9", 0), "d9", "d9").await.unwrap();
    assert!(
        matches!(accepted, IntakeOutcome::Accepted { .. }),
        "nothing of the refused one was kept"
    );
}

#[actix_rt::test]
async fn the_directory_keeps_few_actors_active_and_still_finishes_every_ticket() {
    let h = start(|c| {
        c.max_active = 2;
        c.idle_after = Duration::from_millis(5);
    });
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(
            h.accepted(ticket(&format!("LOW-D{i}"), 0), &format!("d{i}"))
                .await,
        );
    }
    for id in &ids {
        h.settles(id, State::Resolved).await;
    }
    assert_eq!(
        h.store.commits(),
        20,
        "one commit per ticket from receipt to rest"
    );
}

fn roster(members: &[&str]) -> Roster {
    Roster {
        members: members.iter().map(|m| (*m).to_owned()).collect(),
        after_hours_members: vec![],
        business_hours: None,
    }
}

impl Harness {
    /// Waits until `n` delivery rows are no longer pending.
    async fn deliveries_settle(&self, n: usize) -> Vec<aegis_actors::testing::StoredDelivery> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let all = self.store.deliveries();
            let done = all.iter().filter(|d| d.state != "pending").count();
            if all.len() >= n && done == all.len() {
                return all;
            }
            assert!(
                Instant::now() < deadline,
                "deliveries never settled: {all:#?}"
            );
            // Retries are due on the (manual) clock; a few milliseconds of it pass per look.
            self.clock.advance(TimeDelta::milliseconds(5));
            self.runtime.deps.signals.deliveries.notify_one();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

#[actix_rt::test]
async fn alert_changes_reach_every_channel_of_the_tier_and_the_outcomes_are_in_the_trail() {
    let h = start(|c| {
        c.delivery_poll = Duration::from_millis(10);
        c.delivery = DeliveryPolicy {
            max_attempts: 3,
            base_backoff_ms: 1,
            max_backoff_ms: 2,
        };
    });
    let email = |a: &str| Channel::Email { address: a.into() };
    let pager = Channel::Pagerduty {
        url: "http://127.0.0.1:9/v2/enqueue".into(),
        routing_key: "R0UTING".into(),
    };
    h.store
        .set_roster("safety-oncall", roster(&["dana", "lee"]));
    h.store.set_roster("safety-supervisor", roster(&["kim"]));
    h.store
        .set_channels("dana", vec![email("dana@example.org"), pager.clone()]);
    h.store.set_channels("lee", vec![email("lee@example.org")]);
    h.store.set_channels("kim", vec![email("kim@example.org")]);
    // PagerDuty is busy once, then takes the page; Slack-less, webhook-less users are fine.
    h.messenger.script(
        "pagerduty",
        vec![
            SendResult::Transient {
                error: "429 Too Many Requests".into(),
            },
            SendResult::Accepted,
        ],
    );

    let id = h.accepted(ticket("HIGH-N1", 0), "n1").await;
    h.settles(&id, State::Alerted).await;
    let raised = h.deliveries_settle(3).await;
    let mut who: Vec<(String, &str, &str)> = raised
        .iter()
        .map(|d| (d.record.user.clone(), d.record.channel.kind(), d.state))
        .collect();
    who.sort();
    assert_eq!(
        who,
        vec![
            ("dana".into(), "email", "sent"),
            ("dana".into(), "pagerduty", "sent"),
            ("lee".into(), "email", "sent"),
        ]
    );
    let pd = raised
        .iter()
        .find(|d| d.record.channel.kind() == "pagerduty")
        .unwrap();
    assert_eq!(pd.attempts, 2, "retried once after the 429");
    // Every attempt under the same delivery id: that is what channels de-duplicate by.
    let pd_attempts: Vec<_> = h
        .messenger
        .sent()
        .into_iter()
        .filter(|j| j.record.id == pd.record.id)
        .map(|j| j.attempt)
        .collect();
    assert_eq!(pd_attempts, vec![1, 2]);

    // The deadline passes: the supervisor tier is told; then dana acknowledges from the e-mail.
    let deadline = h.store.alert(&id).unwrap().ack_deadline.unwrap();
    h.clock
        .advance(deadline - h.clock.now() + TimeDelta::seconds(1));
    h.runtime.deps.signals.timers.notify_one();
    h.settles(&id, State::Escalated).await;
    let after_escalation = h.deliveries_settle(4).await;
    let escalated: Vec<_> = after_escalation
        .iter()
        .filter(|d| change_key(&d.record) == "escalated-1")
        .map(|d| d.record.user.as_str())
        .collect();
    assert_eq!(escalated, vec!["kim"]);
    h.command(
        &id,
        Command::Acknowledge {
            by: "officer:dana".into(),
            note: None,
            via: Some("email".into()),
        },
    )
    .await;
    let all = h.deliveries_settle(8).await;
    let mut acked: Vec<(String, &str)> = all
        .iter()
        .filter(|d| change_key(&d.record) == "acknowledged")
        .map(|d| (d.record.user.clone(), d.record.channel.kind()))
        .collect();
    acked.sort();
    assert_eq!(
        acked,
        vec![
            ("dana".into(), "email"),
            ("dana".into(), "pagerduty"),
            ("kim".into(), "email"),
            ("lee".into(), "email"),
        ],
        "everyone told before hears it is taken, PagerDuty included"
    );

    let trail = h.store.events(&id);
    let via = trail.iter().find_map(|e| match &e.event {
        Event::Acknowledged { via, .. } => via.clone(),
        _ => None,
    });
    assert_eq!(via.as_deref(), Some("email"));
    let sent = trail
        .iter()
        .filter(|e| matches!(e.event, Event::NotificationSent { .. }))
        .count();
    let failed: Vec<_> = trail
        .iter()
        .filter_map(|e| match &e.event {
            Event::NotificationFailed {
                channel,
                attempt,
                will_retry,
                ..
            } => Some((channel.as_str(), *attempt, *will_retry)),
            _ => None,
        })
        .collect();
    assert_eq!(sent, 8);
    assert_eq!(failed, vec![("pagerduty", 1, true)]);
    let mut prev = aegis_workflows::audit::GENESIS.to_owned();
    for e in &trail {
        assert_eq!(e.prev_hash, prev, "the notices are links of the chain");
        prev = e.hash.clone();
    }
}

#[actix_rt::test]
async fn a_refusing_channel_gives_up_at_once_and_an_unknown_roster_is_in_the_trail() {
    let h = start(|c| c.delivery_poll = Duration::from_millis(10));
    h.store.set_roster("safety-oncall", roster(&["dana"]));
    h.store.set_channels(
        "dana",
        vec![Channel::Slack {
            url: "http://127.0.0.1:9/hook".into(),
        }],
    );
    h.messenger.script(
        "slack",
        vec![SendResult::Refused {
            error: "404 no_service".into(),
        }],
    );
    let id = h.accepted(ticket("HIGH-N2", 0), "n2").await;
    h.settles(&id, State::Alerted).await;
    let rows = h.deliveries_settle(1).await;
    assert_eq!((rows[0].state, rows[0].attempts), ("failed", 1));
    assert_eq!(rows[0].error.as_deref(), Some("404 no_service"));

    // Escalation to a roster nobody defined: recorded, not silently dropped.
    let deadline = h.store.alert(&id).unwrap().ack_deadline.unwrap();
    h.clock
        .advance(deadline - h.clock.now() + TimeDelta::seconds(1));
    h.runtime.deps.signals.timers.notify_one();
    h.settles(&id, State::Escalated).await;
    let unreachable = h.store.events(&id).into_iter().find_map(|e| match e.event {
        Event::RecipientsUnreachable { change, recipients } => Some((change, recipients)),
        _ => None,
    });
    assert_eq!(
        unreachable,
        Some(("escalated-1".into(), vec!["safety-supervisor".into()]))
    );
}

async fn responses_settle(h: &Harness, n: usize) -> Vec<aegis_actors::testing::StoredResponse> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = h.store.responses();
        if r.len() >= n && r.iter().all(|d| d.state != "pending") {
            return r;
        }
        assert!(Instant::now() < deadline, "responses never settled: {r:?}");
        // Retries are due on the (manual) clock.
        h.clock.advance(TimeDelta::milliseconds(5));
        h.runtime.deps.signals.responses.notify_one();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[actix_rt::test]
async fn a_persons_resolution_answers_the_center_and_a_score_alone_never_does() {
    use aegis_actors::records::ResponseSetup;
    use aegis_workflows::lifecycle::Disposition;
    let h = start(|c| {
        c.delivery_poll = Duration::from_millis(10);
        c.delivery = DeliveryPolicy {
            max_attempts: 3,
            base_backoff_ms: 1,
            max_backoff_ms: 2,
        };
    });
    h.store.set_response_setup(
        "TEST",
        ResponseSetup {
            station: "PGE01".into(),
            codes: [(Disposition::LocatorDispatched, "CODE 2".to_owned())].into(),
        },
    );
    // The center's server fails once, then takes it.
    h.responder.script(vec![
        SendResult::Transient {
            error: "500 Internal Server Error".into(),
        },
        SendResult::Accepted,
    ]);
    let low = h.accepted(ticket("LOW-R1", 0), "r1").await;
    h.settles(&low, State::Resolved).await;
    let high = h.accepted(ticket("HIGH-R1", 0), "r2").await;
    h.settles(&high, State::Alerted).await;
    h.command(
        &high,
        Command::Resolve {
            by: "officer:dana".into(),
            disposition: Disposition::LocatorDispatched,
            note: Some("marked".into()),
        },
    )
    .await;
    let rows = responses_settle(&h, 1).await;
    assert_eq!(rows.len(), 1, "the auto-resolved ticket is not answered");
    let r = &rows[0];
    assert_eq!((r.state, r.attempts), ("sent", 2));
    assert_eq!(
        (
            r.record.code.as_str(),
            r.record.station.as_str(),
            r.record.account.as_str()
        ),
        ("CODE 2", "PGE01", "dana")
    );
    assert_eq!(r.record.note.as_deref(), Some("marked"));
    let posted = h.responder.posted();
    assert_eq!(
        posted.iter().map(|j| j.attempt).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(
        posted.iter().all(|j| j.record.id == r.record.id),
        "one trail id throughout"
    );
    let trail = kinds(&h.store, &high);
    assert!(
        trail.ends_with(&["response_requested", "response_failed", "response_posted"]),
        "{trail:?}"
    );

    // An unmapped disposition answers nobody; an operator's explicit code does, and a 412 is final.
    let other = h.accepted(ticket("HIGH-R2", 0), "r3").await;
    h.settles(&other, State::Alerted).await;
    h.command(
        &other,
        Command::Resolve {
            by: "officer:dana".into(),
            disposition: Disposition::FalsePositive,
            note: None,
        },
    )
    .await;
    assert_eq!(h.store.responses().len(), 1);
    h.responder.script(vec![SendResult::Refused {
        error: "412 reason 9: a response that cannot be overridden exists".into(),
    }]);
    h.command(
        &other,
        Command::Respond {
            by: "operator:ops".into(),
            code: "CODE 1".into(),
            note: None,
        },
    )
    .await;
    let rows = responses_settle(&h, 2).await;
    assert_eq!(rows[1].state, "failed");
    assert_eq!(rows[1].attempts, 1, "a refusal is not retried");
    assert!(kinds(&h.store, &other).ends_with(&["response_requested", "response_rejected"]));
}

async fn trail_reaches(h: &Harness, id: &str, kind: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !kinds(&h.store, id).contains(&kind) {
        assert!(
            Instant::now() < deadline,
            "no {kind} in {:?}",
            kinds(&h.store, id)
        );
        h.runtime.deps.signals.timers.notify_one();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[actix_rt::test]
async fn a_ticket_due_without_an_answer_warns_its_tier_then_says_it_is_overdue() {
    use aegis_actors::records::ResponseSetup;
    let h = start(|c| {
        c.delivery_poll = Duration::from_millis(10);
        c.due_warn_before = Duration::from_secs(2 * 3_600);
    });
    for r in ["safety-oncall", "safety-supervisor", "operations-manager"] {
        h.store.set_roster(r, roster(&["dana"]));
    }
    h.store.set_channels(
        "dana",
        vec![Channel::Email {
            address: "dana@example.org".into(),
        }],
    );
    h.store.set_response_setup(
        "TEST",
        ResponseSetup {
            station: "PGE01".into(),
            codes: Default::default(),
        },
    );
    let start_in = |hours: i64| Some((h.clock.now() + TimeDelta::hours(hours)).fixed_offset());
    let mut t = ticket("HIGH-D1", 0);
    t.legal_start_at = start_in(3);
    let id = h.accepted(t, "due-1").await;
    h.settles(&id, State::Alerted).await;
    // Another, answered by an operator before anything is due: never chased.
    let mut t = ticket("HIGH-D2", 0);
    t.legal_start_at = start_in(3);
    let answered = h.accepted(t, "due-2").await;
    h.settles(&answered, State::Alerted).await;
    h.command(
        &answered,
        Command::Respond {
            by: "operator:ops".into(),
            code: "CODE 2".into(),
            note: None,
        },
    )
    .await;
    responses_settle(&h, 1).await;

    h.clock.advance(TimeDelta::minutes(61));
    trail_reaches(&h, &id, "due_soon").await;
    h.clock.advance(TimeDelta::hours(2));
    trail_reaches(&h, &id, "overdue").await;
    let changes: Vec<String> = h
        .deliveries_settle(1)
        .await
        .into_iter()
        .filter(|d| d.record.subject.workflow_id() == Some(id.as_str()))
        .map(|d| change_key(&d.record))
        .collect();
    assert!(
        changes.contains(&"due-soon".to_owned()) && changes.contains(&"overdue".to_owned()),
        "{changes:?}"
    );
    let answered_trail = kinds(&h.store, &answered);
    assert!(
        !answered_trail.contains(&"due_soon") && !answered_trail.contains(&"overdue"),
        "{answered_trail:?}"
    );
    // Each fired once: the timers are gone.
    assert!(h.store.timers(&id).iter().all(|t| !matches!(
        t.kind,
        TimerKind::DueSoon { .. } | TimerKind::Overdue { .. }
    )));
}

/// A ticket whose remarks put the nearest main `feet` away (see `start`).
fn near_main(number: &str, feet: f64, kind: TicketType) -> Ticket {
    let mut t = ticket(number, 0);
    t.remarks = Some(format!("main at {feet} ft"));
    t.kind = Some(kind);
    t
}

#[actix_rt::test]
async fn a_clear_ticket_of_a_listed_type_is_cleared_by_screening_and_answered() {
    use aegis_actors::records::ResponseSetup;
    use aegis_workflows::lifecycle::Disposition;
    use aegis_workflows::screening::{AutoClear, Category};
    let h = start(|c| c.delivery_poll = Duration::from_millis(10));
    h.store.set_response_setup(
        "TEST",
        ResponseSetup {
            station: "PGE01".into(),
            codes: [(Disposition::NoConflict, "CODE 1".to_owned())].into(),
        },
    );
    h.screener.set_auto_clear(
        "TEST",
        AutoClear {
            enabled: true,
            ticket_types: vec![TicketType::Normal],
        },
    );
    // High risk by the model, but nothing of ours within 250 ft: screening's verdict stands.
    let clear = h
        .accepted(near_main("HIGH-C1", 1_200.0, TicketType::Normal), "c1")
        .await;
    h.settles(&clear, State::Resolved).await;
    let trail = kinds(&h.store, &clear);
    assert!(
        trail.starts_with(&[
            "received",
            "validated",
            "screened",
            "scored",
            "cleared",
            "response_requested"
        ]),
        "{trail:?}"
    );
    let events = h.store.events(&clear);
    let cleared = events.iter().find(|e| e.event.kind() == "cleared").unwrap();
    assert_eq!(cleared.principal, "system:screening");
    match &cleared.event {
        Event::Cleared {
            disposition,
            layers,
        } => {
            assert_eq!(*disposition, Disposition::NoConflict);
            assert_eq!(layers, &["mains@1".to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        h.store.alert(&clear).is_none(),
        "no alert for a cleared ticket"
    );
    let screening = h.store.screening(&clear).unwrap();
    assert_eq!(screening.category, Category::Clear);
    let rows = responses_settle(&h, 1).await;
    assert_eq!(
        (
            rows[0].record.code.as_str(),
            rows[0].record.account.as_str()
        ),
        ("CODE 1", "screening")
    );

    // Close, a conflict, outside the coverage, or a type the center did not list: a person's.
    let close = h
        .accepted(near_main("HIGH-C2", 120.0, TicketType::Normal), "c2")
        .await;
    let conflict = h
        .accepted(near_main("HIGH-C3", 0.0, TicketType::Normal), "c3")
        .await;
    let unknown = h.accepted(ticket("HIGH-C4", 0), "c4").await;
    let unlisted = h
        .accepted(near_main("HIGH-C5", 1_200.0, TicketType::Emergency), "c5")
        .await;
    for (id, want) in [
        (&close, Category::Close),
        (&conflict, Category::Conflict),
        (&unknown, Category::Unknown),
        (&unlisted, Category::Clear),
    ] {
        h.settles(id, State::Alerted).await;
        assert_eq!(h.store.screening(id).unwrap().category, want);
        assert!(!kinds(&h.store, id).contains(&"cleared"));
    }
    // A low-risk clear ticket of a center that clears nothing is the band's, as before.
    h.screener.set_auto_clear("TEST", AutoClear::default());
    let low = h
        .accepted(near_main("LOW-C6", 1_200.0, TicketType::Normal), "c6")
        .await;
    h.settles(&low, State::Resolved).await;
    assert!(kinds(&h.store, &low).contains(&"auto_resolved"));
    assert_eq!(
        h.store.responses().len(),
        1,
        "only the cleared ticket is answered"
    );
}

#[actix_rt::test]
async fn an_urgent_ticket_in_conflict_or_unknown_reaches_a_person_whatever_its_score() {
    let h = start(|_| {});
    // Every ticket here scores low (0.0001): the band alone would clear them all.
    let conflict = h
        .accepted(near_main("E-CONFLICT", 10.0, TicketType::Emergency), "u1")
        .await;
    let mut unknown = ticket("S-UNKNOWN", 0);
    unknown.kind = Some(TicketType::ShortNotice);
    let unknown = h.accepted(unknown, "u2").await;
    let close = h
        .accepted(near_main("E-CLOSE", 100.0, TicketType::Emergency), "u3")
        .await;
    let normal = h
        .accepted(near_main("N-CONFLICT", 10.0, TicketType::Normal), "u4")
        .await;
    h.settles(&conflict, State::Alerted).await;
    h.settles(&unknown, State::Alerted).await;
    h.settles(&close, State::Resolved).await;
    h.settles(&normal, State::Resolved).await;
    let rule = |id: &str| {
        h.store
            .events(id)
            .iter()
            .find_map(|e| match &e.event {
                Event::AlertRaised { rule, .. } => Some(rule.clone()),
                _ => None,
            })
            .flatten()
    };
    assert_eq!(
        rule(&conflict).as_deref(),
        Some("an emergency ticket in conflict with a facility")
    );
    assert_eq!(
        rule(&unknown).as_deref(),
        Some("a short-notice ticket where what is buried is not known")
    );
    for id in [&conflict, &unknown] {
        let s = h.store.score(id).unwrap();
        assert_eq!(s.band, aegis_workflows::risk::Band::Low, "{id}");
        assert!(h.store.alert(id).is_some(), "{id} has its alert");
    }
    assert!(kinds(&h.store, &close).contains(&"auto_resolved"));
}
