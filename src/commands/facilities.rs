//! `aegis facilities import|list|show|retire`: the operators' layer commands on the database
//! directly, through the same checks and reader as `PUT /v1/admin/facility-layers/{name}`
//! (`app::facilities::prepare_import`). A running Aegis picks a change up within
//! `facilities.refresh_ms`.

use anyhow::{Context as _, anyhow};

use crate::app::facilities::{ImportLayer, prepare_import, valid_layer_name};
use crate::app::{Refusal, UseCaseError};
use crate::cli::FacilitiesCmd;
use crate::config::Settings;
use crate::db::facilities::{self, LayerView};
use crate::db::tx::in_transaction;
use crate::facilities::gis_file::Format;
use crate::startup::open_db;

/// Who the trail says imported or retired a layer from the command line.
const CLI: &str = "cli";

pub fn run(settings: &Settings, cmd: FacilitiesCmd) -> anyhow::Result<()> {
    let db = open_db(settings)?;
    let mut conn = db.write().map_err(|e| anyhow!(e))?;
    match cmd {
        FacilitiesCmd::Import {
            name,
            file,
            class,
            buffer_ft,
            close_ft,
            crs,
            source_layer,
            attr,
        } => {
            let format = Format::from_file_name(&file).ok_or_else(|| {
                anyhow!(
                    "{}: name the file .geojson, .zip (a zipped shapefile) or .gpkg",
                    file.display()
                )
            })?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let existing = if valid_layer_name(&name) {
                facilities::layer(&mut conn, &name)?
            } else {
                None
            };
            let req = ImportLayer {
                name,
                class,
                buffer_ft,
                close_ft,
                crs,
                source_layer,
                attrs: attr,
                format,
                bytes,
                by: CLI.to_owned(),
            };
            let prepared = prepare_import(req, existing.as_ref(), settings.facilities.max_bytes)
                .map_err(|e| refused(&e.refusal()))?;
            let now = chrono::Utc::now();
            let version = in_transaction(&mut conn, |tx| prepared.store(tx, now))?;
            println!(
                "{} version {version}: {} feature(s), {} vertices, from {} ({})",
                prepared.layer.name,
                prepared.rows.len(),
                prepared.source.vertices,
                prepared.source.crs,
                prepared.source.format
            );
        }
        FacilitiesCmd::List => {
            for l in facilities::layers(&mut conn)? {
                println!("{}", line(&l));
            }
        }
        FacilitiesCmd::Show { name } => {
            let l =
                facilities::layer(&mut conn, &name)?.ok_or_else(|| anyhow!("no layer {name}"))?;
            println!("{}", line(&l));
            for v in l.versions.unwrap_or_default() {
                println!(
                    "  v{}\t{}\tby {}\t{} feature(s), {} vertices\t{} {}\tsha256 {}\textent {:?}",
                    v.version,
                    v.imported_at.to_rfc3339(),
                    v.imported_by,
                    v.features,
                    v.vertices,
                    v.format,
                    v.source_crs,
                    v.source_sha256,
                    v.extent
                );
            }
        }
        FacilitiesCmd::Retire { name } => {
            let now = chrono::Utc::now();
            if in_transaction(&mut conn, |tx| facilities::retire(tx, &name, CLI, now))? {
                println!("{name} retired; its versions are kept");
            } else {
                return Err(anyhow!("no active layer {name}"));
            }
        }
    }
    Ok(())
}

fn line(l: &LayerView) -> String {
    let screening = match l.active_version {
        Some(v) => format!("v{v} screening"),
        None => "retired".to_owned(),
    };
    let features = l.current.as_ref().map_or(0, |v| v.features);
    format!(
        "{}\t{}\tbuffer {} ft, close {} ft\t{screening}\t{features} feature(s)",
        l.name, l.class, l.buffer_ft, l.close_ft
    )
}

/// A refusal as the command line shows it: the message and every problem listed.
fn refused(r: &Refusal) -> anyhow::Error {
    let mut lines = vec![r.message.clone()];
    if let Some(details) = &r.details {
        for p in details["problems"].as_array().into_iter().flatten() {
            lines.push(format!(
                "  {}: {}",
                p["field"].as_str().unwrap_or(""),
                p["message"].as_str().unwrap_or("")
            ));
        }
        if details["truncated"].as_bool() == Some(true) {
            lines.push("  … and more".to_owned());
        }
    }
    anyhow!("refused: {}", lines.join("\n"))
}
