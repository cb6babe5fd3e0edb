//! `aegis facilities import|list|show|retire|reactivate`: the operators' layer use cases from the command
//! line — the same checks, reader and storage as `PUT /v1/admin/facility-layers/{name}`. A
//! running Aegis picks a change up within `facilities.refresh_ms`.

use anyhow::{Context as _, anyhow};

use super::refusal::refused;
use super::with_app;
use crate::app::App;
use crate::app::facilities::ImportLayer;
use crate::app::views::LayerView;
use crate::cli::FacilitiesCmd;
use crate::config::Settings;
use crate::facilities::gis_file::Format;

/// Who the trail says imported or retired a layer from the command line.
const CLI: &str = "cli";

pub fn run(settings: Settings, cmd: FacilitiesCmd) -> anyhow::Result<()> {
    with_app(settings, |app| async move { command(&app, cmd).await })
}

async fn command(app: &App, cmd: FacilitiesCmd) -> anyhow::Result<()> {
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
            let request = ImportLayer {
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
            // Reading and indexing a large layer takes a while: say so on a terminal.
            let working = indicatif::ProgressBar::new_spinner()
                .with_message(format!("importing {}", request.name));
            working.enable_steady_tick(std::time::Duration::from_millis(120));
            let layer = app.import_layer(request).await;
            working.finish_and_clear();
            let layer = layer.map_err(|e| refused(&e))?;
            if let Some(v) = &layer.current {
                println!(
                    "{} version {}: {} feature(s), {} vertices, from {} ({})",
                    layer.name, v.version, v.features, v.vertices, v.source_crs, v.format
                );
            }
        }
        FacilitiesCmd::List => {
            for l in app.facility_layers().await.map_err(|e| refused(&e))? {
                println!("{}", line(&l));
            }
        }
        FacilitiesCmd::Show { name } => {
            let l = app.facility_layer(&name).await.map_err(|e| refused(&e))?;
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
            let before = app.facility_layer(&name).await.map_err(|e| refused(&e))?;
            let l = app
                .retire_layer(&name, CLI)
                .await
                .map_err(|e| refused(&e))?;
            if before.active_version.is_none() {
                println!("{} was already retired; nothing changed", l.name);
            } else {
                println!("{} retired; its versions are kept", l.name);
            }
        }
        FacilitiesCmd::Reactivate { name } => {
            let before = app.facility_layer(&name).await.map_err(|e| refused(&e))?;
            let l = app
                .reactivate_layer(&name, CLI)
                .await
                .map_err(|e| refused(&e))?;
            match (before.active_version, l.active_version) {
                (Some(v), _) => println!("{} is active (version {v}); nothing changed", l.name),
                (None, Some(v)) => println!("{} screens again with version {v}", l.name),
                (None, None) => println!("{} has no version to screen with", l.name),
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
