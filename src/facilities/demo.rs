//! The demo's facility layers: on a fresh install in demo mode (the `DEMO` center just made),
//! the synthetic network around the demo area is imported like a member's own files, so the
//! first ticket sent shows what is near it.

use anyhow::anyhow;

use super::gis_file::Format;
use super::synthetic::{DEMO_CENTER, DEMO_NETWORK, LAYERS, network_in_memory};
use crate::app::UseCaseError as _;
use crate::app::facilities::{ImportLayer, prepare_import};
use crate::db::AnyConn;
use crate::db::tx::in_transaction;

/// Who the trail says imported the demo layers.
const DEMO: &str = "system:demo";

/// Imports the demo network when no layer exists yet; returns how many layers it imported.
pub fn import_if_none(conn: &mut AnyConn, max_bytes: usize) -> anyhow::Result<usize> {
    if !crate::db::facilities::layers(conn)?.is_empty() {
        return Ok(0);
    }
    let network = network_in_memory(DEMO_CENTER, DEMO_NETWORK)?;
    let now = chrono::Utc::now();
    for ((name, class), (_, bytes)) in LAYERS.into_iter().zip(network) {
        let prepared = prepare_import(
            ImportLayer {
                name: name.to_owned(),
                class: Some(class.as_str().to_owned()),
                buffer_ft: None,
                close_ft: None,
                crs: None,
                source_layer: None,
                attrs: Vec::new(),
                format: Format::GeoJson,
                bytes,
                by: DEMO.to_owned(),
            },
            None,
            max_bytes,
        )
        .map_err(|e| anyhow!("the demo layer {name}: {}", e.refusal()))?;
        in_transaction(conn, |tx| prepared.store(tx, now))?;
    }
    Ok(LAYERS.len())
}
