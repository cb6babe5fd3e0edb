//! Starting the runtime: the directory and its arbiters, the dispatcher, and every shared
//! service under a supervisor. Must be called inside a running actix system.

use std::sync::Arc;

use actix::prelude::*;
use tokio::sync::broadcast;

use crate::deps::Deps;
use crate::directory::Directory;
use crate::dispatch::Dispatcher;
use crate::ports::EventMessage;
use crate::services::admission::Admission;
use crate::services::announcer::Announcer;
use crate::services::consumer::WorkConsumer;
use crate::services::deliverer::DelivererLoop;
use crate::services::looping::LoopService;
use crate::services::outbox::OutboxLoop;
use crate::services::responder::ResponderLoop;
use crate::services::sweeper::SweepLoop;
use crate::services::timer::TimerLoop;

/// Handles to the running runtime, for the HTTP layer.
#[derive(Clone)]
pub struct Runtime {
    pub deps: Arc<Deps>,
    pub admission: Arc<Admission>,
    pub directory: Addr<Directory>,
    pub dispatcher: Dispatcher,
    /// Alert changes, for the officers' live stream.
    pub alerts: broadcast::Sender<EventMessage>,
    arbiters: Arc<Vec<Arbiter>>,
    /// actix restarts a supervised actor only while something holds its address: these do.
    _services: Arc<Services>,
}

struct Services {
    _consumer: Addr<WorkConsumer>,
    _timer: Addr<LoopService<TimerLoop>>,
    _relay: Addr<LoopService<OutboxLoop>>,
    _announcer: Addr<Announcer>,
    _sweeper: Addr<LoopService<SweepLoop>>,
    _deliverer: Addr<LoopService<DelivererLoop>>,
    _responder: Addr<LoopService<ResponderLoop>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

impl Runtime {
    pub fn start(deps: Deps) -> Self {
        let deps = Arc::new(deps);
        let arbiters: Vec<Arbiter> = (0..deps.config.arbiters).map(|_| Arbiter::new()).collect();
        let handles = arbiters.iter().map(Arbiter::handle).collect();
        let directory = Directory::new(deps.clone(), handles).start();
        let dispatcher = Dispatcher::new(directory.clone(), deps.clone());
        let admission = Arc::new(Admission::new(deps.clone(), directory.clone()));
        let consumer = {
            let (d, disp) = (deps.clone(), dispatcher.clone());
            Supervisor::start(move |_| WorkConsumer::new(d, disp))
        };
        let timer = {
            let (d, disp) = (deps.clone(), dispatcher.clone());
            Supervisor::start(move |_| LoopService::new(d, TimerLoop { dispatcher: disp }))
        };
        let relay = {
            let d = deps.clone();
            Supervisor::start(move |_| LoopService::new(d, OutboxLoop))
        };
        let (alerts, _) = broadcast::channel(4_096);
        let announcer = {
            let (d, a) = (deps.clone(), alerts.clone());
            Supervisor::start(move |_| Announcer::new(d, a))
        };
        let sweeper = {
            let d = deps.clone();
            Supervisor::start(move |_| LoopService::new(d, SweepLoop))
        };
        let deliverer = {
            let (d, disp) = (deps.clone(), dispatcher.clone());
            Supervisor::start(move |_| LoopService::new(d, DelivererLoop { dispatcher: disp }))
        };
        let responder = {
            let (d, disp) = (deps.clone(), dispatcher.clone());
            Supervisor::start(move |_| LoopService::new(d, ResponderLoop { dispatcher: disp }))
        };
        Self {
            deps,
            admission,
            directory,
            dispatcher,
            alerts,
            arbiters: Arc::new(arbiters),
            _services: Arc::new(Services {
                _consumer: consumer,
                _timer: timer,
                _relay: relay,
                _announcer: announcer,
                _sweeper: sweeper,
                _deliverer: deliverer,
                _responder: responder,
            }),
        }
    }

    /// Deliveries were written outside a workflow's commit (operators' notices): the deliverer
    /// looks for due rows now instead of at its next poll.
    pub fn wake_deliverer(&self) {
        self.deps.signals.deliveries.notify_one();
    }

    /// Stops the ticket actors' arbiters; the services stop with the actix system.
    pub fn stop(&self) {
        for a in self.arbiters.iter() {
            a.stop();
        }
    }
}
