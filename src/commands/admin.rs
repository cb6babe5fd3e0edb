//! `aegis migrate`, `aegis centers …`, `aegis users …`, `aegis rosters …`: each a use case of
//! the application (the same checks as the API's), printed for a terminal.

use aegis_workflows::roster::{BusinessHours, Channel, Roster};

use super::refusal::refused;
use super::with_app;
use crate::app::App;
use crate::app::views::{CenterFormat, Removed, Role};
use crate::cli::{CentersCmd, ChannelsArgs, FormatArg, RostersCmd, UsersCmd};
use crate::config::Settings;

/// Who the log says acted from the command line.
const CLI: &str = "cli";

pub fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let (backend, applied) = crate::startup::migrate(settings)?;
    if applied.is_empty() {
        println!("database is up to date ({backend})");
    } else {
        for m in applied {
            println!("applied {m}");
        }
    }
    Ok(())
}

fn format_of(f: FormatArg) -> CenterFormat {
    match f {
        FormatArg::Native => CenterFormat::Native,
        FormatArg::Onecall => CenterFormat::Onecall,
        FormatArg::Openticket => CenterFormat::Openticket,
    }
}

pub fn centers(settings: Settings, cmd: CentersCmd) -> anyhow::Result<()> {
    with_app(
        settings,
        |app| async move { center_command(&app, cmd).await },
    )
}

async fn center_command(app: &App, cmd: CentersCmd) -> anyhow::Result<()> {
    match cmd {
        CentersCmd::Add {
            code,
            secret,
            format,
        } => {
            let new = app
                .register_center(&code, format_of(format), secret)
                .await
                .map_err(|e| refused(&e))?;
            println!("center {code} added ({})", new.format.as_str());
            if let Some(secret) = new.shown {
                println!("secret (shown once): {secret}");
            }
        }
        CentersCmd::List => {
            for c in app.centers().await.map_err(|e| refused(&e))? {
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
            let new = app
                .add_center_secret(&code, secret)
                .await
                .map_err(|e| refused(&e))?;
            println!(
                "new secret added to {code}; the old ones stay valid until `aegis centers retire-secrets {code}`"
            );
            if let Some(secret) = new.shown {
                println!("secret (shown once): {secret}");
            }
        }
        CentersCmd::RetireSecrets { code } => {
            let n = app
                .retire_center_secrets(&code)
                .await
                .map_err(|e| refused(&e))?;
            println!("revoked {n} older secret(s) of {code}");
        }
        CentersCmd::Remove { code } => match app.remove_center(&code).await {
            Ok(Removed::Deleted) => println!("center {code} removed"),
            Ok(Removed::Revoked) => println!(
                "center {code} has tickets, which keep it in the record; every secret is revoked and its webhooks are refused"
            ),
            Err(e) => return Err(refused(&e)),
        },
    }
    Ok(())
}

pub fn users(settings: Settings, cmd: UsersCmd) -> anyhow::Result<()> {
    with_app(settings, |app| async move { user_command(&app, cmd).await })
}

async fn user_command(app: &App, cmd: UsersCmd) -> anyhow::Result<()> {
    match cmd {
        UsersCmd::Add { role, name } => {
            let role = Role::parse(&role)
                .ok_or_else(|| anyhow::anyhow!("role must be officer or operator"))?;
            let token = app.add_user(&name, role).await.map_err(|e| refused(&e))?;
            println!("{} {name} added; bearer token (shown once):", role.as_str());
            println!("{token}");
        }
        UsersCmd::Revoke { name } => {
            let r = app.revoke_user(&name).await.map_err(|e| refused(&e))?;
            println!(
                "{name} revoked ({} console session(s) ended)",
                r.sessions_ended
            );
        }
        UsersCmd::SetPassword { name } => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            let password = line.trim_end_matches(['\n', '\r']).to_owned();
            app.set_password(&name, password)
                .await
                .map_err(|e| refused(&e))?;
            println!("password set for {name}; their console sessions are ended");
        }
        UsersCmd::Channels(args) => set_channels(app, args).await?,
        UsersCmd::List => {
            for p in app.accounts().await.map_err(|e| refused(&e))? {
                let state = if p.revoked { "revoked" } else { "active" };
                println!("{}\t{}\t{state}", p.name, p.role.as_str());
            }
        }
    }
    Ok(())
}

/// The channels the arguments name, in the order e-mail, PagerDuty, Slack, webhook.
fn channels_of(a: ChannelsArgs) -> Vec<Channel> {
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
    channels
}

async fn set_channels(app: &App, a: ChannelsArgs) -> anyhow::Result<()> {
    let name = a.name.clone();
    let before = app.user(&name).await.map_err(|e| refused(&e))?;
    let channels = channels_of(a);
    let user = app
        .set_channels(&name, channels, CLI)
        .await
        .map_err(|e| refused(&e))?;
    println!(
        "{name}: {} channel(s), replacing {} ({})",
        user.channels.len(),
        before.channels.len(),
        kinds(&before.channels)
    );
    Ok(())
}

/// The kinds of `channels` in words (`email, slack`), or `none`.
fn kinds(channels: &[Channel]) -> String {
    if channels.is_empty() {
        return "none".to_owned();
    }
    let names: Vec<&str> = channels.iter().map(Channel::kind).collect();
    names.join(", ")
}

pub fn rosters(settings: Settings, cmd: RostersCmd) -> anyhow::Result<()> {
    with_app(
        settings,
        |app| async move { roster_command(&app, cmd).await },
    )
}

async fn roster_command(app: &App, cmd: RostersCmd) -> anyhow::Result<()> {
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
            let set = app
                .put_roster(&name, roster, CLI)
                .await
                .map_err(|e| refused(&e))?;
            println!(
                "roster {name}: {} member(s); on duty now: {}",
                set.roster.members.len(),
                set.on_duty.join(", ")
            );
        }
        RostersCmd::List => {
            for r in app.rosters().await.map_err(|e| refused(&e))? {
                println!(
                    "{}\tmembers: {}\tafter hours: {}\ton duty now: {}",
                    r.name,
                    r.roster.members.join(","),
                    r.roster.after_hours_members.join(","),
                    r.on_duty.join(",")
                );
            }
        }
    }
    Ok(())
}
