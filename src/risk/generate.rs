//! A synthetic ticket history whose shape follows published 811 data (`domain.md`): about two
//! damages per 1,000 tickets; contractors and backhoes most common; directional drilling,
//! blasting, emergencies and short notice riskier; hand and vacuum digging safer; and a
//! minority of careless excavators who damage again and again (so their history predicts).
//!
//! Deterministic: the same seed gives the same tickets and outcomes. Tickets go through the
//! same feature extraction as live ones, so a model trained here scores live tickets.
//!
//! With a [`World`], tickets dig over the synthetic facility network and are screened against
//! it as live tickets are; damage then depends on what is really buried and how (a bore across
//! a plastic gas main, a trencher over a fibre duct), while a share of tickets is screened as a
//! member without a GIS export would (nothing known), so the model also learns that case.

use std::sync::Arc;

use aegis_workflows::features::{self, ExcavatorHistory, FeatureVector};
use aegis_workflows::screening::{Category, FacilityClass, Screening};
use aegis_workflows::ticket::{
    ExcavationMethod, Excavator, ExcavatorType, Location, Ticket, TicketType, Work,
};
use chrono::{DateTime, Datelike, Duration, FixedOffset, Offset, TimeZone, Timelike, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::world::{World, WorldError};

#[derive(Debug, Clone)]
pub struct GeneratorConfig {
    pub seed: u64,
    /// Damages per ticket the history should show on average (CGA DIRT: about 0.002).
    pub damage_rate: f64,
    /// Tickets per excavator on average.
    pub tickets_per_excavator: usize,
    /// Expected number of tickets, to size the excavator population.
    pub expected_tickets: usize,
    pub start: DateTime<Utc>,
    /// Mean seconds between tickets.
    pub mean_gap_secs: f64,
    /// The facility network tickets dig over; `None`: anywhere in California, unscreened.
    pub world: Option<Arc<World>>,
}

impl GeneratorConfig {
    /// The default history over the synthetic facility network.
    pub fn with_world() -> Result<Self, WorldError> {
        Ok(Self {
            world: Some(Arc::new(World::new()?)),
            ..Self::default()
        })
    }
}

/// Of the tickets dug over the network, this share is screened as by a member with no layer.
const UNMAPPED: f64 = 0.15;

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            damage_rate: 0.002,
            tickets_per_excavator: 25,
            expected_tickets: 100_000,
            start: Utc
                .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            mean_gap_secs: 60.0,
            world: None,
        }
    }
}

/// One generated ticket with what Aegis would know and what happened.
#[derive(Debug, Clone)]
pub struct Generated {
    pub ticket: Ticket,
    pub history: Option<ExcavatorHistory>,
    pub probability: f64,
    pub damaged: bool,
    /// What screening told Aegis (with a world): the truth, or nothing for an unmapped member.
    pub screening: Option<Screening>,
}

impl Generated {
    /// The ticket's features as the live path extracts them.
    pub fn features(&self) -> FeatureVector {
        match &self.screening {
            Some(s) => features::extract_screened(&self.ticket, self.history, s),
            None => features::extract(&self.ticket, self.history),
        }
    }
}

#[derive(Debug, Clone)]
struct Crew {
    excavator: Excavator,
    identified: bool,
    /// Latent carelessness in log-odds: the reason some excavators damage repeatedly.
    careless: f64,
    tickets: u32,
    damages: u32,
}

pub struct Generator {
    rng: StdRng,
    crews: Vec<Crew>,
    /// Cumulative activity weights for picking a crew.
    cumulative: Vec<f64>,
    intercept: f64,
    clock: DateTime<Utc>,
    mean_gap: f64,
    serial: u64,
    zone: FixedOffset,
    world: Option<Arc<World>>,
}

const STATIONS: &[&str] = &[
    "PGE", "PACBEL", "ATT", "COMCAST", "EBMUD", "CCWD", "SOCALGAS", "SCE", "SDGE", "CNSA", "KMEP",
    "LEVEL3", "VERIZON", "CHARTER", "SFWD", "SMUD",
];
const WORK: &[(&str, f64)] = &[
    ("Water main repair", 0.18),
    ("Sewer lateral replacement", 0.14),
    ("Fiber optic installation", 0.12),
    ("Gas service installation", 0.08),
    ("Electric service upgrade", 0.08),
    ("Fence installation", 0.1),
    ("Landscaping", 0.08),
    ("Road widening", 0.06),
    ("Pole replacement", 0.06),
    ("Foundation", 0.05),
    ("Storm drain", 0.05),
];

fn normal(rng: &mut StdRng) -> f64 {
    // Box-Muller; `1 - u` keeps the logarithm finite.
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn poisson(rng: &mut StdRng, lambda: f64) -> u32 {
    let l = (-lambda).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= rng.random::<f64>();
        if p <= l || k > 100 {
            return k;
        }
        k += 1;
    }
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for (item, w) in items {
        if x < *w {
            return *item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// What is buried under a dig, in log-odds of damage: the most threatening facility near it
/// (closer is worse, fading over its tolerance zone), by class and by what the method does to
/// it (CGA DIRT: boring into plastic gas — cross-bores —, trenching through shallow fibre,
/// augers into electric), and a little for every other one; a dig with nothing of the member's
/// within `close_ft` can still hit someone else's line, but far less often.
fn buried(truth: &Screening, method: Option<ExcavationMethod>) -> f64 {
    use ExcavationMethod as M;
    use FacilityClass as C;
    if truth.category == Category::Clear {
        return -1.0;
    }
    let mut threats: Vec<f64> = Vec::new();
    for l in &truth.layers {
        let Some(d) = l.nearest_ft.filter(|d| *d <= l.close_ft) else {
            continue;
        };
        let near = (-d / l.buffer_ft.max(1.0)).exp();
        let class = match l.class {
            C::GasTransmission => 1.6,
            C::Telecom => 0.9,
            C::GasDistribution => 0.8,
            C::GasService | C::ElectricDistribution | C::ElectricTransmission => 0.7,
            C::Water | C::Sewer => 0.5,
            C::Other => 0.3,
        };
        let paired = match (method, l.class) {
            (Some(M::DirectionalDrilling | M::Boring), C::GasDistribution | C::GasService) => 1.0,
            (Some(M::DirectionalDrilling | M::Boring), C::GasTransmission) => 0.6,
            (Some(M::Trencher), C::Telecom) => 1.0,
            (Some(M::Auger), C::ElectricDistribution | C::ElectricTransmission) => 0.6,
            (Some(M::Backhoe), C::Water | C::Sewer) => 0.3,
            _ => 0.0,
        };
        threats.push((class + paired) * near);
    }
    let worst = threats.iter().copied().fold(0.0, f64::max);
    worst + 0.15 * (threats.iter().sum::<f64>() - worst)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Generator {
    pub fn new(cfg: &GeneratorConfig) -> Self {
        let mut rng = StdRng::seed_from_u64(cfg.seed);
        let n_crews = (cfg.expected_tickets / cfg.tickets_per_excavator.max(1)).clamp(50, 200_000);
        let mut crews = Vec::with_capacity(n_crews);
        let mut cumulative = Vec::with_capacity(n_crews);
        let mut total = 0.0;
        for i in 0..n_crews {
            let kind = pick(
                &mut rng,
                &[
                    (Some(ExcavatorType::Contractor), 0.58),
                    (Some(ExcavatorType::Homeowner), 0.16),
                    (Some(ExcavatorType::Municipality), 0.09),
                    (Some(ExcavatorType::Utility), 0.1),
                    (Some(ExcavatorType::Railroad), 0.01),
                    (Some(ExcavatorType::Other), 0.02),
                    (None, 0.04),
                ],
            );
            // Most crews are careful; about one in twelve is a repeat offender.
            let offender = rng.random::<f64>() < 0.08;
            let careless = 0.5 * normal(&mut rng) + if offender { 1.6 } else { 0.0 };
            // Contractors file many tickets, homeowners a few.
            let activity = match kind {
                Some(ExcavatorType::Homeowner) => 0.15,
                Some(ExcavatorType::Contractor) => (1.2 * normal(&mut rng)).exp() * 2.0,
                _ => (0.8 * normal(&mut rng)).exp(),
            };
            total += activity;
            cumulative.push(total);
            let identified = rng.random::<f64>() > 0.03;
            let company = match kind {
                Some(ExcavatorType::Homeowner) => None,
                _ => Some(format!("Crew {i:05} Excavating")),
            };
            crews.push(Crew {
                excavator: Excavator {
                    name: Some(format!("Operator {i:05}")),
                    company,
                    kind,
                    id: identified.then(|| format!("EX-{i:06}")),
                    phone: Some(format!("555-{:04}", i % 10_000)),
                    email: None,
                },
                identified,
                careless,
                tickets: 0,
                damages: 0,
            });
        }
        // Pacific Standard Time; a fixed offset is enough for synthetic tickets.
        let zone = FixedOffset::west_opt(8 * 3600).unwrap_or(Utc.fix());
        let mut g = Self {
            rng,
            crews,
            cumulative,
            intercept: 0.0,
            clock: cfg.start,
            mean_gap: cfg.mean_gap_secs,
            serial: 0,
            zone,
            world: cfg.world.clone(),
        };
        g.intercept = g.calibrate(cfg.damage_rate);
        g
    }

    /// Finds the intercept whose mean damage probability equals `rate`, on a sample drawn from
    /// a clone (so the real sequence does not move).
    fn calibrate(&self, rate: f64) -> f64 {
        let mut probe = Self {
            rng: self.rng.clone(),
            crews: self.crews.clone(),
            cumulative: self.cumulative.clone(),
            intercept: 0.0,
            clock: self.clock,
            mean_gap: self.mean_gap,
            serial: 0,
            zone: self.zone,
            world: self.world.clone(),
        };
        let logits: Vec<f64> = (0..20_000).map(|_| probe.draw().1).collect();
        let (mut lo, mut hi) = (-20.0, 5.0);
        for _ in 0..60 {
            let mid = (lo + hi) / 2.0;
            let mean = logits.iter().map(|l| sigmoid(mid + l)).sum::<f64>() / logits.len() as f64;
            if mean > rate {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        (lo + hi) / 2.0
    }

    /// Draws one ticket and its risk (log-odds without the intercept).
    fn draw(&mut self) -> (Generated, f64, usize) {
        let world = self.world.clone();
        let gap = -self.mean_gap * (1.0 - self.rng.random::<f64>()).ln();
        self.clock += Duration::milliseconds((gap * 1000.0) as i64);
        self.serial += 1;
        let crew_i = self.pick_crew();
        let rng = &mut self.rng;
        let crew = &self.crews[crew_i];
        let homeowner = crew.excavator.kind == Some(ExcavatorType::Homeowner);
        let dig = Dig::draw(rng, homeowner);
        let site = Site::draw(rng, world.as_deref());
        let submitted = self.clock.with_timezone(&self.zone);
        let legal = submitted + Duration::minutes((dig.lead_hours * 60.0) as i64);
        let polygon = site.polygon();
        let stations = stations(rng, site.members);
        // Summed in one order, term by term, so a seed gives the same history on every build.
        let mut logit = crew.careless;
        for term in dig
            .terms()
            .into_iter()
            .chain([
                0.12 * (stations.len() as f64 - 3.0),
                excavator_logit(crew.excavator.kind),
            ])
            .chain(site.terms())
            .chain([if dig.pavement_only { -0.6 } else { 0.0 }])
            .chain(when_terms(legal))
        {
            logit += term;
        }
        // What is buried there, and what Aegis is told of it.
        let screening = world.as_ref().map(|w| {
            let truth = w.screen(&Location {
                latitude: Some(round6(site.lat)),
                longitude: Some(round6(site.lon)),
                polygon_wkt: polygon.clone(),
                ..Location::default()
            });
            logit += buried(&truth, dig.method);
            if rng.random::<f64>() < UNMAPPED {
                World::unmapped()
            } else {
                truth
            }
        });
        let ticket = Ticket {
            ticket_number: format!(
                "{}{:09}",
                submitted.format("%Y%m%d"),
                self.serial % 1_000_000_000
            ),
            revision: 0,
            kind: Some(dig.kind),
            source_type: None,
            submitted_at: Some(submitted),
            work_begin_at: Some(legal),
            legal_start_at: Some(legal),
            expires_at: Some(legal + Duration::days(28)),
            response_due_at: None,
            excavator: crew.excavator.clone(),
            work: dig.work(site.work_kind, site.duration),
            location: Location {
                state: Some("CA".into()),
                county: None,
                city: None,
                address: Some(format!("{} Main St", 100 + self.serial % 9_000)),
                cross_street: None,
                latitude: Some(round6(site.lat)),
                longitude: Some(round6(site.lon)),
                polygon_wkt: polygon,
                buffer_wkt: None,
            },
            members: stations,
            remarks: None,
            is_test: false,
            parse_problems: Vec::new(),
        };
        let history = crew.identified.then_some(ExcavatorHistory {
            prior_tickets: crew.tickets,
            prior_damages: crew.damages,
        });
        let generated = Generated {
            ticket,
            history,
            probability: 0.0,
            damaged: false,
            screening,
        };
        (generated, logit, crew_i)
    }

    /// A crew, in proportion to how many tickets it files.
    fn pick_crew(&mut self) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = self.rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|c| *c <= x)
            .min(self.crews.len() - 1)
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The stations notified, each once.
fn stations(rng: &mut StdRng, members: usize) -> Vec<String> {
    let mut list: Vec<String> = Vec::with_capacity(members);
    for _ in 0..members {
        let s = STATIONS[rng.random_range(0..STATIONS.len())].to_owned();
        if !list.contains(&s) {
            list.push(s);
        }
    }
    list
}

/// Who digs, in log-odds: homeowners and contractors damage more, utilities less.
fn excavator_logit(kind: Option<ExcavatorType>) -> f64 {
    match kind {
        Some(ExcavatorType::Homeowner) => 0.5,
        Some(ExcavatorType::Contractor) => 0.2,
        Some(ExcavatorType::Municipality) => -0.1,
        Some(ExcavatorType::Utility) => -0.2,
        _ => 0.0,
    }
}

/// The work a ticket describes: its type, how it digs and how deep, with what, how soon.
struct Dig {
    kind: TicketType,
    method: Option<ExcavationMethod>,
    depth: Option<f64>,
    boring: bool,
    explosives: bool,
    vacuum: bool,
    pavement_only: bool,
    lead_hours: f64,
}

impl Dig {
    fn draw(rng: &mut StdRng, homeowner: bool) -> Self {
        use ExcavationMethod as M;
        let kind = pick(
            rng,
            &[
                (TicketType::Normal, 0.84),
                (TicketType::Emergency, 0.05),
                (TicketType::ShortNotice, 0.04),
                (TicketType::Update, 0.04),
                (TicketType::Remark, 0.02),
                (TicketType::Design, 0.01),
            ],
        );
        let method = if homeowner {
            pick(rng, HOMEOWNER_METHODS)
        } else {
            pick(rng, CREW_METHODS)
        };
        let typical_depth = match method {
            Some(M::Hand) => 18.0,
            Some(M::Auger) => 42.0,
            Some(M::Trencher) => 36.0,
            Some(M::DirectionalDrilling | M::Boring) => 60.0,
            Some(M::Blasting) => 96.0,
            _ => 48.0,
        };
        let depth = (rng.random::<f64>() > 0.15).then(|| {
            (typical_depth * (0.35 * normal(rng)).exp())
                .round()
                .clamp(1.0, 600.0)
        });
        let drilling = matches!(method, Some(M::DirectionalDrilling | M::Boring));
        let boring = drilling || rng.random::<f64>() < 0.02;
        let explosives = method == Some(M::Blasting) || rng.random::<f64>() < 0.001;
        let vacuum = method == Some(M::Vacuum);
        let pavement_only = rng.random::<f64>() < 0.05;
        let lead_hours = match kind {
            TicketType::Emergency => rng.random::<f64>() * 2.0,
            TicketType::ShortNotice => 4.0 + rng.random::<f64>() * 20.0,
            _ => 48.0 + rng.random::<f64>() * 96.0,
        };
        Self {
            kind,
            method,
            depth,
            boring,
            explosives,
            vacuum,
            pavement_only,
            lead_hours,
        }
    }

    /// The damage model's log-odds terms for the work: method, type, depth, explosives, lead
    /// time (pavement-only work is counted later, where the model always added it).
    fn terms(&self) -> [f64; 5] {
        use ExcavationMethod as M;
        let method = match self.method {
            Some(M::Hand) => -1.0,
            Some(M::Vacuum) => -1.3,
            Some(M::Backhoe) => 0.4,
            Some(M::Trencher) => 0.6,
            Some(M::Auger) => 0.1,
            Some(M::DirectionalDrilling) => 1.2,
            Some(M::Boring) => 0.9,
            Some(M::Blasting) => 1.5,
            _ => 0.0,
        };
        let kind = match self.kind {
            TicketType::Emergency => 1.0,
            TicketType::ShortNotice => 0.6,
            TicketType::Design => -2.0,
            TicketType::Update | TicketType::Remark => -0.2,
            _ => 0.0,
        };
        let depth = self
            .depth
            .map_or(0.0, |d| (0.3 * (d / 36.0 - 1.0)).clamp(-0.3, 0.9));
        let explosives = if self.explosives { 0.8 } else { 0.0 };
        let soon = if self.lead_hours < 48.0 { 0.3 } else { 0.0 };
        [method, kind, depth, explosives, soon]
    }

    fn work(&self, kind: &str, duration_days: Option<f64>) -> Work {
        Work {
            kind: Some(kind.to_owned()),
            activity: None,
            method: self.method,
            depth_inches: self.depth,
            depth_text: None,
            boring: Some(self.boring),
            explosives: Some(self.explosives),
            vacuum: Some(self.vacuum),
            pavement_only: Some(self.pavement_only),
            duration_days,
            done_for: None,
        }
    }
}

const HOMEOWNER_METHODS: &[(Option<ExcavationMethod>, f64)] = &[
    (Some(ExcavationMethod::Hand), 0.6),
    (Some(ExcavationMethod::Auger), 0.2),
    (Some(ExcavationMethod::Backhoe), 0.1),
    (None, 0.1),
];

const CREW_METHODS: &[(Option<ExcavationMethod>, f64)] = &[
    (Some(ExcavationMethod::Backhoe), 0.34),
    (Some(ExcavationMethod::Hand), 0.12),
    (Some(ExcavationMethod::Trencher), 0.09),
    (Some(ExcavationMethod::Auger), 0.1),
    (Some(ExcavationMethod::DirectionalDrilling), 0.12),
    (Some(ExcavationMethod::Boring), 0.04),
    (Some(ExcavationMethod::Vacuum), 0.07),
    (Some(ExcavationMethod::Blasting), 0.005),
    (Some(ExcavationMethod::Other), 0.045),
    (None, 0.05),
];

/// Where a ticket digs and how widely.
struct Site {
    members: usize,
    lon: f64,
    lat: f64,
    has_polygon: bool,
    side_m: f64,
    duration: Option<f64>,
    work_kind: &'static str,
}

impl Site {
    fn draw(rng: &mut StdRng, world: Option<&World>) -> Self {
        let members = 1 + poisson(rng, 3.0) as usize;
        let (lon, lat) = match world {
            Some(w) => w.place(rng),
            None => (
                -124.0 + rng.random::<f64>() * 9.5,
                32.7 + rng.random::<f64>() * 9.0,
            ),
        };
        let has_polygon = rng.random::<f64>() < 0.6;
        let side_m = (3.0 + 1.2 * normal(rng)).exp().clamp(2.0, 2_000.0);
        let duration = (rng.random::<f64>() > 0.2).then(|| 1.0 + poisson(rng, 3.0) as f64);
        let work_kind = pick(rng, WORK);
        Self {
            members,
            lon,
            lat,
            has_polygon,
            side_m,
            duration,
            work_kind,
        }
    }

    /// A square dig area of the site's side, when the ticket has one.
    fn polygon(&self) -> Option<String> {
        self.has_polygon.then(|| {
            let dlat = self.side_m / 111_320.0 / 2.0;
            let dlon = self.side_m / (111_320.0 * self.lat.to_radians().cos()) / 2.0;
            format!(
                "POLYGON(({a} {b},{c} {b},{c} {d},{a} {d},{a} {b}))",
                a = self.lon - dlon,
                b = self.lat - dlat,
                c = self.lon + dlon,
                d = self.lat + dlat
            )
        })
    }

    /// The damage model's log-odds term for the dig area's size.
    fn terms(&self) -> [f64; 1] {
        if self.has_polygon {
            [0.25 * ((self.side_m * self.side_m).log10() - 2.5)]
        } else {
            [0.0]
        }
    }
}

/// The damage model's log-odds terms for when digging starts: summer, and night work.
fn when_terms(legal: DateTime<FixedOffset>) -> [f64; 2] {
    let summer = if (5..=9).contains(&legal.month()) {
        0.15
    } else {
        0.0
    };
    let night = if legal.hour() < 6 || legal.hour() > 19 {
        0.3
    } else {
        0.0
    };
    [summer, night]
}

impl Iterator for Generator {
    type Item = Generated;

    fn next(&mut self) -> Option<Generated> {
        let (mut g, logit, crew) = self.draw();
        g.probability = sigmoid(self.intercept + logit);
        g.damaged = self.rng.random::<f64>() < g.probability;
        let c = &mut self.crews[crew];
        c.tickets += 1;
        c.damages += u32::from(g.damaged);
        Some(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aegis_workflows::features::F;
    use aegis_workflows::validation::problems;

    fn config(n: usize) -> GeneratorConfig {
        GeneratorConfig {
            expected_tickets: n,
            ..GeneratorConfig::default()
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_history() {
        let a: Vec<_> = Generator::new(&config(1000)).take(500).collect();
        let b: Vec<_> = Generator::new(&config(1000)).take(500).collect();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.ticket, y.ticket);
            assert_eq!(x.damaged, y.damaged);
        }
        let other: Vec<_> = Generator::new(&GeneratorConfig {
            seed: 7,
            ..config(1000)
        })
        .take(50)
        .collect();
        assert!(other.iter().zip(&a).any(|(x, y)| x.ticket != y.ticket));
    }

    #[test]
    fn the_history_has_the_published_shape() {
        let n = 200_000;
        let rows: Vec<_> = Generator::new(&config(n)).take(n).collect();
        let damages = rows.iter().filter(|g| g.damaged).count() as f64;
        let rate = damages / n as f64;
        assert!((0.0013..0.0028).contains(&rate), "damage rate {rate}");
        let rate_of = |pred: &dyn Fn(&Generated) -> bool| {
            let sel: Vec<_> = rows.iter().filter(|g| pred(g)).collect();
            sel.iter().map(|g| g.probability).sum::<f64>() / sel.len().max(1) as f64
        };
        let drilling =
            rate_of(&|g| g.ticket.work.method == Some(ExcavationMethod::DirectionalDrilling));
        let hand = rate_of(&|g| g.ticket.work.method == Some(ExcavationMethod::Hand));
        let emergency = rate_of(&|g| g.ticket.kind == Some(TicketType::Emergency));
        let normal = rate_of(&|g| g.ticket.kind == Some(TicketType::Normal));
        assert!(drilling > 3.0 * hand, "drilling {drilling} vs hand {hand}");
        assert!(
            emergency > 1.5 * normal,
            "emergency {emergency} vs normal {normal}"
        );
        // Repeat offenders: a crew's earlier damages predict its next one.
        let with_past = rate_of(&|g| g.history.is_some_and(|h| h.prior_damages > 0));
        let without = rate_of(&|g| {
            g.history
                .is_some_and(|h| h.prior_damages == 0 && h.prior_tickets > 20)
        });
        assert!(with_past > 1.5 * without, "{with_past} vs {without}");
        let contractors = rows
            .iter()
            .filter(|g| g.ticket.excavator.kind == Some(ExcavatorType::Contractor))
            .count();
        assert!(contractors > n / 2, "contractors lead");
    }

    #[test]
    fn over_the_network_damage_follows_what_is_buried() {
        let n = 30_000;
        let cfg = GeneratorConfig {
            expected_tickets: n,
            ..GeneratorConfig::with_world().unwrap()
        };
        let rows: Vec<_> = Generator::new(&cfg).take(n).collect();
        let rate = rows.iter().filter(|g| g.damaged).count() as f64 / n as f64;
        assert!((0.0012..0.003).contains(&rate), "damage rate {rate}");
        let unmapped = rows
            .iter()
            .filter(|g| {
                g.screening
                    .as_ref()
                    .is_some_and(|s| s.category == Category::Unknown)
            })
            .count() as f64
            / n as f64;
        assert!((0.12..0.18).contains(&unmapped), "unmapped {unmapped}");
        let category = |g: &Generated| g.screening.as_ref().map(|s| s.category);
        let mean = |pred: &dyn Fn(&Generated) -> bool| {
            let sel: Vec<_> = rows.iter().filter(|g| pred(g)).collect();
            assert!(sel.len() > 100, "too few rows");
            sel.iter().map(|g| g.probability).sum::<f64>() / sel.len() as f64
        };
        let conflict = mean(&|g| category(g) == Some(Category::Conflict));
        let clear = mean(&|g| category(g) == Some(Category::Clear));
        assert!(
            conflict > 3.0 * clear,
            "conflict {conflict} vs clear {clear}"
        );
        // Both kinds of tickets are common: most of the open land is clear.
        let share = |c| rows.iter().filter(|g| category(g) == Some(c)).count() as f64 / n as f64;
        assert!(share(Category::Clear) > 0.2, "{}", share(Category::Clear));
        assert!(
            share(Category::Conflict) > 0.2,
            "{}",
            share(Category::Conflict)
        );
        // v2's features are filled from the screening.
        let v = rows
            .iter()
            .find(|g| category(g) == Some(Category::Conflict))
            .map(Generated::features)
            .unwrap();
        assert_eq!(v.get(F::SCREEN_CONFLICT), Some(1.0));
        assert!(v.get(F::GD_NEAREST).is_some());
    }

    #[test]
    fn generated_tickets_are_valid_and_extract_missing_values() {
        let rows: Vec<_> = Generator::new(&config(5000)).take(5000).collect();
        let mut missing_depth = 0;
        for g in &rows {
            assert_eq!(problems(&g.ticket), vec![], "{:?}", g.ticket);
            let v = g.features();
            if v.get(F::DEPTH).is_none() {
                missing_depth += 1;
            }
        }
        assert!(
            missing_depth > 300 && missing_depth < 1500,
            "{missing_depth}"
        );
    }
}
