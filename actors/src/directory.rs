//! The directory: finds or activates the ticket actor of a workflow, caps how many are active,
//! passivates idle and finished ones, and replaces an actor whose step failed (its supervised
//! restart: the new activation rehydrates from the store).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use tokio::sync::oneshot;

use crate::deps::Deps;
use crate::health::{ActorState, ActorStats};
use crate::records::WorkflowSnapshot;
use crate::step::{Step, StepError, StepOutcome};
use crate::ticket::{RunStep, TicketActor};

/// Snapshots handed over by intake and not yet claimed are kept at most this many.
const PRIMED_MAX: usize = 20_000;
const MAILBOX: usize = 4_096;

struct Entry {
    addr: Addr<TicketActor>,
    busy: u32,
    last_used: Instant,
}

pub struct Directory {
    deps: Arc<Deps>,
    arbiters: Vec<ArbiterHandle>,
    next_arbiter: usize,
    actors: HashMap<String, Entry>,
    waiting: VecDeque<(String, oneshot::Sender<Addr<TicketActor>>)>,
    primed: HashMap<String, WorkflowSnapshot>,
    primed_order: VecDeque<String>,
    stats: Arc<ActorStats>,
}

impl Directory {
    pub fn new(deps: Arc<Deps>, arbiters: Vec<ArbiterHandle>) -> Self {
        let stats = deps.health.register("ticket-actors");
        Self {
            deps,
            arbiters,
            next_arbiter: 0,
            actors: HashMap::new(),
            waiting: VecDeque::new(),
            primed: HashMap::new(),
            primed_order: VecDeque::new(),
            stats,
        }
    }

    fn activate(&mut self, id: &str) -> Addr<TicketActor> {
        let snapshot = self.primed.remove(id);
        let deps = self.deps.clone();
        let key = id.to_owned();
        let make = move |_: &mut Context<TicketActor>| TicketActor::new(key, deps, snapshot);
        let addr = if self.arbiters.is_empty() {
            TicketActor::create(make)
        } else {
            self.next_arbiter = (self.next_arbiter + 1) % self.arbiters.len();
            TicketActor::start_in_arbiter(&self.arbiters[self.next_arbiter], make)
        };
        self.actors.insert(
            id.to_owned(),
            Entry {
                addr: addr.clone(),
                busy: 1,
                last_used: Instant::now(),
            },
        );
        self.stats.set_active(self.actors.len() as i64);
        addr
    }

    /// Passivates the least recently used idle actor; false when every actor is busy.
    fn evict_one(&mut self) -> bool {
        let victim = self
            .actors
            .iter()
            .filter(|(_, e)| e.busy == 0)
            .min_by_key(|(_, e)| e.last_used)
            .map(|(k, _)| k.clone());
        match victim {
            Some(k) => {
                self.actors.remove(&k);
                true
            }
            None => false,
        }
    }

    fn has_room(&mut self) -> bool {
        self.actors.len() < self.deps.config.max_active || self.evict_one()
    }

    fn serve_waiting(&mut self) {
        while let Some((id, _)) = self.waiting.front() {
            if let Some(e) = self.actors.get_mut(id) {
                e.busy += 1;
                let addr = e.addr.clone();
                if let Some((_, tx)) = self.waiting.pop_front() {
                    let _ = tx.send(addr);
                }
                continue;
            }
            if !self.has_room() {
                return;
            }
            if let Some((id, tx)) = self.waiting.pop_front() {
                let addr = self.activate(&id);
                if tx.send(addr).is_err() {
                    self.release(&id, false, false);
                }
            }
        }
    }

    fn release(&mut self, id: &str, failed: bool, finished: bool) {
        let Some(e) = self.actors.get_mut(id) else {
            return;
        };
        e.busy = e.busy.saturating_sub(1);
        e.last_used = Instant::now();
        if failed {
            // Drop the activation and whatever it had in memory; the next step starts afresh
            // from the store.
            self.actors.remove(id);
            self.stats.restarted();
            self.stats.failed();
        } else if finished && e.busy == 0 {
            self.actors.remove(id);
        }
        self.stats.set_active(self.actors.len() as i64);
    }

    fn passivate_idle(&mut self) {
        let idle_after = self.deps.config.idle_after;
        let now = Instant::now();
        self.actors
            .retain(|_, e| e.busy > 0 || now.duration_since(e.last_used) < idle_after);
        self.stats.set_active(self.actors.len() as i64);
        self.serve_waiting();
    }
}

impl Actor for Directory {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(MAILBOX);
        self.stats.set_state(ActorState::Running);
        let every = (self.deps.config.idle_after / 4).max(Duration::from_millis(100));
        ctx.run_interval(every, |act, _| act.passivate_idle());
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.stats.set_state(ActorState::Stopped);
    }
}

/// Runs one step on a workflow's actor, activating it when needed (or waiting for room when
/// the cap is reached), and checks the actor back in with the outcome: a failed step replaces
/// the actor (its supervised restart), a finished workflow passivates it.
#[derive(Message)]
#[rtype(result = "Result<StepOutcome, StepError>")]
pub struct Deliver {
    pub workflow_id: String,
    pub step: Step,
}

impl Directory {
    /// The actor to use now, or a place in the queue when every slot is taken.
    fn checkout(
        &mut self,
        id: &str,
    ) -> Result<Addr<TicketActor>, oneshot::Receiver<Addr<TicketActor>>> {
        if let Some(e) = self.actors.get_mut(id) {
            e.busy += 1;
            return Ok(e.addr.clone());
        }
        if self.waiting.is_empty() && self.has_room() {
            return Ok(self.activate(id));
        }
        let (tx, rx) = oneshot::channel();
        self.waiting.push_back((id.to_owned(), tx));
        Err(rx)
    }
}

impl Handler<Deliver> for Directory {
    type Result = ResponseActFuture<Self, Result<StepOutcome, StepError>>;

    fn handle(&mut self, msg: Deliver, _: &mut Self::Context) -> Self::Result {
        let Deliver { workflow_id, step } = msg;
        let addr = self.checkout(&workflow_id);
        let run = async move {
            let addr = match addr {
                Ok(a) => a,
                Err(rx) => rx.await.map_err(|_| StepError::Overloaded)?,
            };
            match addr.send(RunStep(step)).await {
                Ok(r) => r,
                // The actor's task died (a panic outside the engine's guard): a failure too.
                Err(e) => Err(StepError::ActorLost(e.to_string())),
            }
        };
        Box::pin(run.into_actor(self).map(move |result, act, _| {
            let failed = matches!(&result, Err(e) if e.retryable());
            let finished = matches!(&result, Ok(o) if o.state.is_terminal())
                || matches!(result, Err(StepError::NotFound));
            act.release(&workflow_id, failed, finished);
            act.serve_waiting();
            result
        }))
    }
}

/// Hands a freshly written workflow to the directory so its first activation skips a load.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Prime(pub WorkflowSnapshot);

impl Handler<Prime> for Directory {
    type Result = ();

    fn handle(&mut self, msg: Prime, _: &mut Self::Context) {
        if self.actors.contains_key(&msg.0.id) {
            return;
        }
        // The order queue bounds the cache; ids already claimed by an activation fall out of
        // it here too.
        while self.primed_order.len() >= PRIMED_MAX {
            if let Some(old) = self.primed_order.pop_front() {
                self.primed.remove(&old);
            }
        }
        self.primed_order.push_back(msg.0.id.clone());
        self.primed.insert(msg.0.id.clone(), msg.0);
    }
}

/// Number of active ticket actors.
#[derive(Message)]
#[rtype(result = "usize")]
pub struct ActiveCount;

impl Handler<ActiveCount> for Directory {
    type Result = usize;

    fn handle(&mut self, _: ActiveCount, _: &mut Self::Context) -> usize {
        self.actors.len()
    }
}
