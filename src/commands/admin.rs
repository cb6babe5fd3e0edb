//! `aegis migrate`, `aegis centers …`, `aegis users …`.

use anyhow::anyhow;

use aegis_workflows::roster::{BusinessHours, Channel, Roster};

use crate::cli::{CentersCmd, ChannelsArgs, FormatArg, RostersCmd, UsersCmd};
use crate::config::Settings;
use crate::db::centers::{self, CenterFormat};
use crate::db::people;
use crate::db::principals::{self, Role};
use crate::db::tx::in_transaction;
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
                FormatArg::Openticket => CenterFormat::Openticket,
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
            let ended = crate::db::sign_in::end_sessions_of(&mut conn, &name)?;
            println!("{name} revoked ({ended} console session(s) ended)");
        }
        UsersCmd::SetPassword { name } => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            let password = line.trim_end_matches(['\n', '\r']);
            let hash = crate::app::passwords::hash(password)?;
            if !crate::db::sign_in::set_password(&mut conn, &name, &hash)? {
                anyhow::bail!("no active user named {name}");
            }
            println!("password set for {name}; their console sessions are ended");
        }
        UsersCmd::Channels(args) => set_channels(&mut conn, args)?,
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

/// Every problem, one per line, as an error.
fn refuse(problems: Vec<aegis_workflows::problem::Problem>) -> anyhow::Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = problems
        .iter()
        .map(|p| format!("  {}: {}", p.field, p.message))
        .collect();
    Err(anyhow!("refused:\n{}", lines.join("\n")))
}

fn set_channels(conn: &mut crate::db::AnyConn, a: ChannelsArgs) -> anyhow::Result<()> {
    let mut channels: Vec<Channel> = a
        .email
        .into_iter()
        .map(|address| Channel::Email { address })
        .collect();
    channels.extend(
        a.pagerduty_key
            .into_iter()
            .map(|routing_key| Channel::Pagerduty {
                url: a.pagerduty_url.clone(),
                routing_key,
            }),
    );
    channels.extend(a.slack.into_iter().map(|url| Channel::Slack { url }));
    if let (Some(url), Some(secret)) = (a.webhook, a.webhook_secret) {
        channels.push(Channel::Webhook { url, secret });
    }
    refuse(
        channels
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.problems(&format!("channels[{i}]")))
            .collect(),
    )?;
    let name = a.name;
    if !in_transaction(conn, |tx| people::set_channels(tx, &name, &channels))? {
        return Err(anyhow!("no user {name}"));
    }
    println!("{name}: {} channel(s)", channels.len());
    Ok(())
}

pub fn rosters(settings: &Settings, cmd: RostersCmd) -> anyhow::Result<()> {
    let db = open_db(settings)?;
    let mut conn = db.write().map_err(|e| anyhow!(e))?;
    match cmd {
        RostersCmd::Put {
            name,
            members,
            after_hours,
            days,
            from,
            to,
            timezone,
        } => {
            let business_hours = match (days, from, to, timezone) {
                (Some(days), Some(from), Some(to), Some(timezone)) => Some(BusinessHours {
                    days,
                    from,
                    to,
                    timezone,
                }),
                _ => None,
            };
            let roster = Roster {
                members,
                after_hours_members: after_hours,
                business_hours,
            };
            refuse(roster.problems())?;
            let mut everyone = roster.members.clone();
            everyone.extend(roster.after_hours_members.iter().cloned());
            let unknown = people::unknown_users(&mut conn, &everyone)?;
            if !unknown.is_empty() {
                return Err(anyhow!("no such user: {}", unknown.join(", ")));
            }
            let now = chrono::Utc::now();
            in_transaction(&mut conn, |tx| people::put_roster(tx, &name, &roster, now))?;
            println!(
                "roster {name}: on duty now: {}",
                roster.on_duty(now).join(", ")
            );
        }
        RostersCmd::List => {
            let now = chrono::Utc::now();
            for (name, r) in people::rosters(&mut conn)? {
                println!(
                    "{name}\tmembers: {}\tafter hours: {}\ton duty now: {}",
                    r.members.join(","),
                    r.after_hours_members.join(","),
                    r.on_duty(now).join(",")
                );
            }
        }
    }
    Ok(())
}
