//! Operators' commands for agencies and accounts. Every change is an audit record.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use diesel::Connection;

use crate::accounts::password;
use crate::accounts::store::{Agency, NewAgency, NewUser, User};
use crate::audit::{self, Actor, Entry};
use crate::config::Settings;
use crate::domain::Roles;
use crate::domain::training::TrainingProvider;
use crate::platform::time::now;

#[derive(Subcommand)]
pub enum AgencyCommand {
    /// Register an agency.
    Add {
        #[arg(long)]
        name: String,
        /// ORI (Originating Agency Identifier), e.g. CA0194200.
        #[arg(long)]
        ori: String,
        #[arg(long)]
        contact_name: String,
        #[arg(long)]
        contact_email: String,
        #[arg(long)]
        contact_phone: String,
        /// Date of the agency's own FR policy (YYYY-MM-DD). Without it the agency cannot submit.
        #[arg(long)]
        policy_date: Option<NaiveDate>,
        /// The identification service itself (its reviewers and examiners see every agency's cases).
        #[arg(long)]
        service: bool,
    },
    /// Record the date of an agency's FR policy.
    SetPolicy {
        #[arg(long)]
        ori: String,
        #[arg(long)]
        date: NaiveDate,
    },
    /// File (or replace) an agency's FR policy document: a PDF of at most 20 MB and the date
    /// it took effect. A future date does not count until that date.
    Policy {
        /// ORI of the agency.
        #[arg(long)]
        agency: String,
        #[arg(long)]
        file: std::path::PathBuf,
        /// YYYY-MM-DD.
        #[arg(long)]
        effective: NaiveDate,
    },
    /// Clear an agency's FR policy (it then has none on file and cannot submit).
    ClearPolicy {
        #[arg(long)]
        agency: String,
    },
    /// Suspend an agency: its users can read their cases but nobody can submit.
    Suspend {
        #[arg(long)]
        agency: String,
        /// Why (at least 10 characters; shown to the agency's users).
        #[arg(long)]
        reason: String,
    },
    /// Lift an agency's suspension.
    Reinstate {
        #[arg(long)]
        agency: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Record that the agency accepted the current terms of use (docs/TERMS_OF_USE.md).
    AcceptTerms {
        #[arg(long)]
        agency: String,
    },
    /// List agencies.
    List,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input with --password-stdin,
    /// otherwise a random one is generated and printed once.
    Add {
        /// ORI of the user's agency.
        #[arg(long)]
        agency: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        phone: String,
        /// Comma-separated: requester, local_admin, auditor (any agency); reviewer, examiner,
        /// supervisor, system_admin (the service agency only).
        #[arg(long)]
        roles: String,
        /// FBI, LACRIS or other: recorded as FR-system training, and for examiners and
        /// supervisors also as facial-comparison training (use `user training` for more).
        #[arg(long)]
        training_provider: Option<String>,
        /// Training completion date (YYYY-MM-DD); FBI-equivalent training counts after 2017-01-01.
        #[arg(long)]
        training_date: Option<NaiveDate>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (read from standard input).
    SetPassword {
        #[arg(long)]
        email: String,
    },
    /// Remove a user's authenticator app and recovery codes (lost phone): they set up a new one
    /// at their next login. Ends their sessions; audited; the agency's administrators are emailed.
    ResetMfa {
        #[arg(long)]
        email: String,
        /// Why (recorded in the audit record and the email).
        #[arg(long, value_parser = crate::cli::args::text)]
        reason: String,
    },
    /// Release an account locked after repeated failed logons.
    Unlock {
        #[arg(long)]
        email: String,
    },
    /// Disable an account at once (a user who left). The agency's local administrators are
    /// emailed and the deactivation is an audit record.
    Deactivate {
        #[arg(long)]
        email: String,
        /// Why (recorded in the audit record and the email).
        #[arg(long, default_value = "left the agency", value_parser = crate::cli::args::text)]
        reason: String,
    },
    /// Enable a disabled account again (e.g. one disabled after 90 idle days), with a reason.
    Activate {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = crate::cli::args::text)]
        reason: String,
    },
    /// Record a completed (or renewed) training; a renewal is a new record. Audited.
    /// FR-system training grants access (LACRIS, or FBI-equivalent after 2017-01-01);
    /// facial-comparison training by the FBI or LACRIS makes an examiner ("other" does not).
    Training {
        #[arg(long)]
        email: String,
        /// fr-system or facial-comparison.
        #[arg(long)]
        kind: String,
        /// FBI, LACRIS or other.
        #[arg(long)]
        provider: String,
        /// Completion date (YYYY-MM-DD), not in the future.
        #[arg(long)]
        completed: NaiveDate,
    },
    /// Record the date of a user's background check (shown in access reviews). Audited.
    BackgroundCheck {
        #[arg(long)]
        email: String,
        /// YYYY-MM-DD, not in the future.
        #[arg(long)]
        date: NaiveDate,
    },
    /// Replace a user's roles. Service roles (reviewer, examiner, supervisor, system_admin)
    /// only in the service agency. Audited.
    Roles {
        #[arg(long)]
        email: String,
        /// Comma-separated, e.g. examiner,reviewer.
        #[arg(long)]
        roles: String,
    },
    /// List accounts.
    List {
        /// Only this agency (ORI).
        #[arg(long)]
        agency: Option<String>,
    },
}

/// A random password of 20 characters from an unambiguous alphabet.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

fn read_password_stdin() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("Failed to read the password from standard input")?;
    let p = s.trim_end_matches(['\n', '\r']).to_string();
    crate::domain::password::check_strength(&p).map_err(anyhow::Error::msg)?;
    Ok(p)
}

pub fn run_agency(settings: &Settings, cmd: AgencyCommand) -> anyhow::Result<ExitCode> {
    let pool = settings.database.connect()?;
    let mut conn = pool.get()?;
    let actor = Actor::cli("agency");
    match cmd {
        AgencyCommand::Add {
            name,
            ori,
            contact_name,
            contact_email,
            contact_phone,
            policy_date,
            service,
        } => {
            let ori = ori.trim().to_uppercase();
            if ori.is_empty() || ori.len() > 20 {
                bail!("--ori must be 1–20 characters");
            }
            let a = conn.transaction(|c| -> anyhow::Result<Agency> {
                if Agency::by_ori(c, &ori)?.is_some() {
                    bail!("An agency with ORI {ori} already exists");
                }
                let a = Agency::insert(
                    c,
                    &NewAgency {
                        name,
                        ori: ori.clone(),
                        contact_name,
                        contact_email,
                        contact_phone,
                        fr_policy_date: policy_date,
                        is_service: service,
                        active: true,
                        created_at: now(),
                    },
                )?;
                audit::record(
                    c,
                    &actor,
                    Entry::new("agency.create", "agency", a.id).details(format!("ORI {ori}")),
                )?;
                Ok(a)
            })?;
            println!("Agency {} ({}) added with id {}.", a.name, a.ori, a.id);
        }
        AgencyCommand::SetPolicy { ori, date } => {
            conn.transaction(|c| -> anyhow::Result<()> {
                use crate::platform::db::schema::agencies;
                use diesel::prelude::*;
                let a = Agency::by_ori(c, &ori.to_uppercase())?.context("No such agency")?;
                diesel::update(agencies::table.find(a.id))
                    .set(agencies::fr_policy_date.eq(Some(date)))
                    .execute(c)?;
                audit::record(
                    c,
                    &actor,
                    Entry::new("agency.set_policy", "agency", a.id)
                        .details(format!("policy dated {date}")),
                )?;
                Ok(())
            })?;
            println!("Policy date recorded.");
        }
        AgencyCommand::Policy {
            agency,
            file,
            effective,
        } => {
            crate::cli::agency::file_policy(settings, &mut conn, &actor, &agency, &file, effective)?
        }
        AgencyCommand::ClearPolicy { agency } => {
            crate::cli::agency::clear_policy(&mut conn, &actor, &agency)?
        }
        AgencyCommand::Suspend { agency, reason } => {
            crate::cli::agency::suspend(&mut conn, &actor, &agency, &reason)?
        }
        AgencyCommand::Reinstate { agency, reason } => {
            crate::cli::agency::reinstate(&mut conn, &actor, &agency, &reason)?
        }
        AgencyCommand::AcceptTerms { agency } => {
            crate::cli::agency::accept_terms(&mut conn, &actor, &agency)?
        }
        AgencyCommand::List => {
            for a in Agency::all(&mut conn)? {
                println!(
                    "{:<12} {:<40} policy {:<10} {}{}",
                    a.ori,
                    a.name,
                    a.fr_policy_date
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "none".into()),
                    if a.is_suspended() {
                        "suspended"
                    } else if a.active {
                        "active"
                    } else {
                        "inactive"
                    },
                    if a.is_service { " (service)" } else { "" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates an account; returns it (used by `user add` and the demo seed).
#[allow(clippy::too_many_arguments)]
pub fn create_user(
    conn: &mut crate::platform::db::DbConnection,
    actor: &Actor,
    agency_ori: &str,
    name: &str,
    email: &str,
    phone: &str,
    roles: &str,
    training: Option<(TrainingProvider, NaiveDate)>,
    plain_password: &str,
) -> anyhow::Result<User> {
    let roles = Roles::parse(roles).map_err(anyhow::Error::msg)?;
    let email = email.trim().to_lowercase();
    if !email.contains('@') {
        bail!("--email must be an email address");
    }
    let hash = password::hash(plain_password)?;
    conn.transaction(|c| -> anyhow::Result<User> {
        let agency = Agency::by_ori(c, &agency_ori.to_uppercase())?
            .with_context(|| format!("No agency with ORI {agency_ori}"))?;
        // Service roles exist only in the service agency (docs/POLICIES.md, "Roles").
        roles
            .check_for_agency(agency.is_service)
            .map_err(|e| anyhow::anyhow!("--roles: {e} ({})", agency.ori))?;
        if User::by_email(c, &email)?.is_some() {
            bail!("An account for {email} already exists");
        }
        let u = User::insert(
            c,
            &NewUser {
                agency_id: agency.id,
                name: name.trim().to_string(),
                email: email.clone(),
                phone: phone.trim().to_string(),
                password_hash: hash,
                roles: roles.to_db(),
                active: true,
                created_at: now(),
            },
        )?;
        if let Some((provider, completed_on)) = training {
            for t in crate::accounts::training::initial_records(&roles, provider, completed_on) {
                crate::accounts::training::insert(c, u.user_id(), &t, &actor.email, now())?;
            }
        }
        audit::record(
            c,
            actor,
            Entry::new("user.create", "user", u.id).details(format!(
                "{email}; roles {}; training {}",
                roles.to_db(),
                training
                    .map(|(p, d)| format!("{} {d}", p.as_str()))
                    .unwrap_or_else(|| "none".into())
            )),
        )?;
        Ok(u)
    })
}

pub fn run_user(settings: &Settings, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let pool = settings.database.connect()?;
    let mut conn = pool.get()?;
    let actor = Actor::cli("user");
    match cmd {
        UserCommand::Add {
            agency,
            name,
            email,
            phone,
            roles,
            training_provider,
            training_date,
            password_stdin,
        } => {
            let training = match (training_provider, training_date) {
                (Some(p), Some(d)) => Some((
                    p.parse::<TrainingProvider>().map_err(anyhow::Error::msg)?,
                    d,
                )),
                (None, None) => None,
                _ => bail!("--training-provider and --training-date go together"),
            };
            let (pw, show) = if password_stdin {
                (read_password_stdin()?, false)
            } else {
                (generate_password(), true)
            };
            let u = create_user(
                &mut conn, &actor, &agency, &name, &email, &phone, &roles, training, &pw,
            )?;
            println!("User {} <{}> added with id {}.", u.name, u.email, u.id);
            if show {
                println!("Initial password (shown once): {pw}");
            }
        }
        UserCommand::SetPassword { email } => {
            let pw = read_password_stdin()?;
            let hash = password::hash(&pw)?;
            conn.transaction(|c| -> anyhow::Result<()> {
                let u = User::by_email(c, &email)?.context("No such account")?;
                User::set_password_hash(c, u.user_id(), &hash)?;
                crate::accounts::session::end_all_for_user(c, u.id, "password reset")?;
                audit::record(c, &actor, Entry::new("user.set_password", "user", u.id))?;
                Ok(())
            })?;
            println!("Password changed.");
        }
        UserCommand::ResetMfa { email, reason } => {
            let reason = reason.trim();
            if reason.chars().count() < 10 {
                anyhow::bail!("Give the reason in at least 10 characters (--reason)");
            }
            let u = User::by_email(&mut conn, &email)?.context("No such account")?;
            let ctx = crate::retention::daily::RetentionContext::from_settings(
                settings,
                settings.file_store(&pool)?,
            );
            let (had, _no_server_to_wake) = crate::accounts::lifecycle::reset_second_factor(
                &mut conn,
                &ctx.notice(),
                &actor,
                &u,
                reason,
                now(),
            )?;
            if had {
                println!(
                    "Second factor reset; the user sets up a new authenticator at the next login."
                );
            } else {
                println!("No authenticator was set up; the user sets one up at the next login.");
            }
        }
        UserCommand::Unlock { email } => {
            conn.transaction(|c| -> anyhow::Result<()> {
                let u = User::by_email(c, &email)?.context("No such account")?;
                User::set_locked(c, u.user_id(), None)?;
                audit::record(c, &actor, Entry::new("user.unlock", "user", u.id))?;
                Ok(())
            })?;
            println!("Account released.");
        }
        UserCommand::Deactivate { email, reason } => {
            let u = User::by_email(&mut conn, &email)?.context("No such account")?;
            let ctx = crate::retention::daily::RetentionContext::from_settings(
                settings,
                settings.file_store(&pool)?,
            );
            let changed = crate::accounts::lifecycle::deactivate_user(
                &mut conn,
                &ctx.notice(),
                &actor,
                &u,
                crate::accounts::lifecycle::AccountEvent {
                    action: "user.deactivate",
                    label: "Deactivated",
                    reason: reason.trim(),
                    advice: "No action is needed unless this was a mistake; the account stays on file for the audit trail.",
                },
                now(),
            )?;
            if changed {
                println!("Account disabled; the agency's local administrators were emailed.");
            } else {
                println!("Account was already disabled.");
            }
        }
        UserCommand::Activate { email, reason } => {
            let reason = crate::domain::retention::StatedReason::parse(&reason)
                .map_err(anyhow::Error::msg)?;
            conn.transaction(|c| -> anyhow::Result<()> {
                let u = User::by_email(c, &email)?.context("No such account")?;
                if !User::reactivate(c, u.user_id(), now())? {
                    bail!("The account is already enabled");
                }
                audit::record(
                    c,
                    &actor,
                    Entry::new("user.activate", "user", u.id).details(reason.as_str()),
                )?;
                Ok(())
            })?;
            println!("Account enabled.");
        }
        UserCommand::Training {
            email,
            kind,
            provider,
            completed,
        } => {
            let t = crate::domain::training::Training {
                kind: kind.parse().map_err(anyhow::Error::msg)?,
                provider: provider.parse().map_err(anyhow::Error::msg)?,
                completed_on: completed,
            };
            let u = User::by_email(&mut conn, &email)?.context("No such account")?;
            let at = now();
            crate::accounts::people::record_training(&mut conn, &actor, &u, &t, at.date(), at)?;
            let verdict = crate::accounts::training::trained_examiner(&mut conn, &u, at.date())?;
            println!(
                "Recorded {} by {} completed {} for {}.{}",
                t.kind.label(),
                t.provider.as_str(),
                t.completed_on,
                u.email,
                match verdict {
                    Ok(()) => " The account may examine.".to_string(),
                    Err(e) if u.stored_roles().has(crate::domain::Role::Examiner) =>
                        format!(" {e}"),
                    Err(_) => String::new(),
                }
            );
        }
        UserCommand::BackgroundCheck { email, date } => {
            let u = User::by_email(&mut conn, &email)?.context("No such account")?;
            crate::accounts::people::set_background_check(
                &mut conn,
                &actor,
                &u,
                date,
                now().date(),
            )?;
            println!("Background check of {date} recorded for {}.", u.email);
        }
        UserCommand::Roles { email, roles } => {
            let u = User::by_email(&mut conn, &email)?.context("No such account")?;
            let agency = Agency::find(&mut conn, u.agency())?;
            let stored =
                crate::accounts::people::change_roles(&mut conn, &actor, &u, &agency, &roles)?;
            println!("Roles of {} are now {}.", u.email, stored.to_db());
        }
        UserCommand::List { agency } => {
            let agencies = Agency::all(&mut conn)?;
            let today = chrono::Utc::now().date_naive();
            for a in agencies.iter().filter(|a| {
                agency
                    .as_deref()
                    .is_none_or(|o| o.eq_ignore_ascii_case(&a.ori))
            }) {
                for u in User::for_agency(&mut conn, a.agency_id())? {
                    let records = crate::accounts::training::records_of(&mut conn, u.user_id())?;
                    println!(
                        "{:<6} {:<30} {:<36} {:<10} {:<28} training {:<8} last login {}{}",
                        u.id,
                        u.name,
                        u.email,
                        a.ori,
                        u.roles,
                        if crate::domain::training::grants_fr_access(&records, today).is_ok() {
                            "current"
                        } else {
                            "none"
                        },
                        u.last_login
                            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_else(|| "never".into()),
                        if u.active { "" } else { " (disabled)" }
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
