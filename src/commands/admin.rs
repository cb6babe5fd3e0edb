//! `aegis migrate`, `aegis centers …`, `aegis users …`.

use anyhow::anyhow;

use crate::cli::{CentersCmd, FormatArg, UsersCmd};
use crate::config::Settings;
use crate::db::centers::{self, CenterFormat};
use crate::db::principals::{self, Role};
use crate::startup::open_db;

pub fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = crate::db::Db::connect(crate::startup::db_settings(settings))?;
    let applied = crate::db::migrate::run(&db)?;
    if applied.is_empty() {
        println!("database is up to date ({})", db.backend().as_str());
    } else {
        for m in applied {
            println!("applied {m}");
        }
    }
    Ok(())
}

pub fn centers(settings: &Settings, cmd: CentersCmd) -> anyhow::Result<()> {
    let db = open_db(settings)?;
    let mut conn = db.write().map_err(|e| anyhow!(e))?;
    match cmd {
        CentersCmd::Add {
            code,
            secret,
            format,
        } => {
            let format = match format {
                FormatArg::Native => CenterFormat::Native,
                FormatArg::Onecall => CenterFormat::Onecall,
            };
            let generated = secret.is_none();
            let secret = secret.unwrap_or_else(|| format.generate_secret());
            centers::add(&mut conn, &code, format, &secret)?;
            println!("center {code} added ({})", format.as_str());
            if generated {
                println!("secret (shown once): {secret}");
            }
        }
        CentersCmd::List => {
            for c in centers::list(&mut conn)? {
                println!(
                    "{}\t{}\t{} active secret(s)\tsince {}",
                    c.code,
                    c.format.as_str(),
                    c.active_secrets,
                    c.created_at.to_rfc3339()
                );
            }
        }
        CentersCmd::RotateSecret { code, secret } => {
            let center =
                centers::lookup(&mut conn, &code)?.ok_or_else(|| anyhow!("no center {code}"))?;
            let generated = secret.is_none();
            let secret = secret.unwrap_or_else(|| center.format.generate_secret());
            centers::add_secret(&mut conn, &code, &secret)?;
            println!(
                "new secret added to {code}; the old ones stay valid until `aegis centers retire-secrets {code}`"
            );
            if generated {
                println!("secret (shown once): {secret}");
            }
        }
        CentersCmd::RetireSecrets { code } => {
            let n = centers::retire_old_secrets(&mut conn, &code)?;
            println!("revoked {n} older secret(s) of {code}");
        }
        CentersCmd::Remove { code } => match centers::remove(&mut conn, &code)? {
            centers::Removed::Deleted => println!("center {code} removed"),
            centers::Removed::Revoked => println!(
                "center {code} has tickets, which keep it in the record; every secret is revoked and its webhooks are refused"
            ),
        },
    }
    Ok(())
}

pub fn users(settings: &Settings, cmd: UsersCmd) -> anyhow::Result<()> {
    let db = open_db(settings)?;
    let mut conn = db.write().map_err(|e| anyhow!(e))?;
    match cmd {
        UsersCmd::Add { role, name } => {
            let role =
                Role::parse(&role).ok_or_else(|| anyhow!("role must be officer or operator"))?;
            let token = principals::add(&mut conn, &name, role)?;
            println!("{} {name} added; bearer token (shown once):", role.as_str());
            println!("{token}");
        }
        UsersCmd::Revoke { name } => {
            principals::revoke(&mut conn, &name)?;
            println!("{name} revoked");
        }
        UsersCmd::List => {
            for p in principals::list(&mut conn)? {
                println!(
                    "{}\t{}\t{}",
                    p.name,
                    p.role.as_str(),
                    if p.revoked { "revoked" } else { "active" }
                );
            }
        }
    }
    Ok(())
}
