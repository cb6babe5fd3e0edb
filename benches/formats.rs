//! Reading deliveries (`cargo bench --bench formats`, part of `make bench`): how long each
//! format's parser takes per ticket on the same generated tickets — native JSON, OneCallAccess
//! (base64 XML in JSON) and Open Ticket documents — and the real samples as they came (GA811's,
//! whose polygons run to a few dozen vertices, and PA811's with its swapped coordinates). The
//! figures are per ticket, in one thread, on this machine.

use std::time::Instant;

use aegis::formats::{native, onecall, openticket};
use aegis::risk::generate::{Generator, GeneratorConfig};

const N: usize = 20_000;

fn per_ticket(label: &str, bodies: &[Vec<u8>], parse: impl Fn(&[u8]) -> bool) {
    // One pass to warm caches and check every body reads.
    assert!(
        bodies.iter().all(|b| parse(b)),
        "{label}: a body did not parse"
    );
    let start = Instant::now();
    let mut ok = 0usize;
    for b in bodies {
        ok += usize::from(parse(b));
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / bodies.len() as f64;
    let bytes = bodies.iter().map(Vec::len).sum::<usize>() / bodies.len();
    println!("{label:<34} {us:>7.1} µs/ticket   {bytes:>6} bytes mean   ({ok} read)");
}

fn main() {
    let tickets: Vec<_> = Generator::new(&GeneratorConfig::default())
        .take(N)
        .map(|g| g.ticket)
        .collect();
    let cx = openticket::Context {
        tz: chrono_tz::America::New_York,
    };
    let native_bodies: Vec<Vec<u8>> = tickets
        .iter()
        .map(|t| serde_json::to_vec(t).unwrap_or_default())
        .collect();
    let onecall_bodies: Vec<Vec<u8>> = tickets
        .iter()
        .map(|t| onecall::envelope(&onecall::to_xml(t), "n", &t.ticket_number).into_bytes())
        .collect();
    let open_bodies: Vec<Vec<u8>> = tickets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            openticket::to_document(t, i as u64)
                .to_string()
                .into_bytes()
        })
        .collect();
    println!("{N} generated tickets, each format's parser alone:");
    per_ticket("native JSON", &native_bodies, |b| native::parse(b).is_ok());
    per_ticket("OneCallAccess (base64 XML)", &onecall_bodies, |b| {
        onecall::parse(b).is_ok()
    });
    per_ticket("Open Ticket 1.0", &open_bodies, |b| {
        openticket::parse(b, cx).is_ok()
    });
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openticket");
    for sample in [
        "GA-240222-001001.json",
        "PA811-Routine.json",
        "geojson-only.json",
    ] {
        let body = std::fs::read(format!("{fixtures}/{sample}")).unwrap_or_default();
        let copies = vec![body; 5_000];
        per_ticket(&format!("Open Ticket sample {sample}"), &copies, |b| {
            openticket::parse(b, cx).is_ok()
        });
    }
}
