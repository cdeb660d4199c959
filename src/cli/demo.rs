//! `frdesk demo seed`: demo agencies and accounts for a first look (used by `script/server`).
//! Idempotent: existing demo accounts get fresh passwords, which are printed.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;

use crate::accounts::password;
use crate::accounts::store::{Agency, NewAgency, User};
use crate::audit::{self, Actor, Entry};
use crate::config::Settings;
use crate::domain::training::TrainingProvider;
use crate::platform::time::now;

/// `frdesk demo seed` or `frdesk demo --walkthrough`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Run the whole flow (submit, approve, search, two examiner reviews, signed packet, email)
    /// through the same services as the web pages, and print the case number, the packet path
    /// and the message path: an operator's self-test.
    #[arg(long)]
    pub walkthrough: bool,
    #[command(subcommand)]
    pub command: Option<DemoCommand>,
}

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Create (or refresh) the demo agencies and accounts and print their credentials.
    Seed,
}

/// A demo account.
pub struct DemoAccount {
    pub email: &'static str,
    pub name: &'static str,
    pub ori: &'static str,
    pub roles: &'static str,
    pub what: &'static str,
}

pub const SERVICE_ORI: &str = "CA019DEMO0";
pub const AGENCY_ORI: &str = "CA0190099";

pub const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        email: "requester@demo.test",
        name: "Dana Reyes",
        ori: AGENCY_ORI,
        roles: "requester",
        what: "agency requester",
    },
    DemoAccount {
        email: "reviewer@demo.test",
        name: "Sam Ortega",
        ori: SERVICE_ORI,
        roles: "reviewer",
        what: "compliance reviewer",
    },
    DemoAccount {
        email: "examiner1@demo.test",
        name: "Lee Park",
        ori: SERVICE_ORI,
        roles: "examiner",
        what: "examiner",
    },
    DemoAccount {
        email: "examiner2@demo.test",
        name: "Kim Alvarez",
        ori: SERVICE_ORI,
        roles: "examiner",
        what: "second examiner",
    },
    DemoAccount {
        email: "supervisor@demo.test",
        name: "Jo Whitfield",
        ori: SERVICE_ORI,
        roles: "supervisor",
        what: "supervisor",
    },
    DemoAccount {
        email: "sysadmin@demo.test",
        name: "Ari Novak",
        ori: SERVICE_ORI,
        roles: "system_admin",
        what: "service system admin",
    },
    DemoAccount {
        email: "admin@demo.test",
        name: "Pat Morgan",
        ori: AGENCY_ORI,
        roles: "local_admin,auditor",
        what: "agency local administrator",
    },
];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

pub fn run(settings: &Settings, cmd: DemoCommand) -> anyhow::Result<ExitCode> {
    let DemoCommand::Seed = cmd;
    let pool = settings.database.connect()?;
    let mut conn = pool.get()?;
    let actor = Actor::cli("demo seed");
    for (ori, name, service) in [
        (SERVICE_ORI, "Regional Identification System (demo)", true),
        (AGENCY_ORI, "Demo City Police Department", false),
    ] {
        if Agency::by_ori(&mut conn, ori)?.is_none() {
            let a = Agency::insert(
                &mut conn,
                &NewAgency {
                    name: name.into(),
                    ori: ori.into(),
                    contact_name: "Help Desk".into(),
                    contact_email: "helpdesk@demo.test".into(),
                    contact_phone: "(213) 555-0100".into(),
                    fr_policy_date: Some(date(2023, 6, 15)),
                    is_service: service,
                    active: true,
                    created_at: now(),
                },
            )?;
            audit::record(
                &mut conn,
                &actor,
                Entry::new("agency.create", "agency", a.id).details("demo seed"),
            )?;
        }
        // The demo agencies accept the current terms of use (requesters cannot submit without).
        if let Some(a) = Agency::by_ori(&mut conn, ori)? {
            crate::agencies::terms::accept(&mut conn, &actor, &a, now())?;
        }
    }
    println!("Demo accounts (passwords are new on every run):");
    for acc in ACCOUNTS {
        let pw = crate::cli::admin::generate_password();
        match User::by_email(&mut conn, acc.email)? {
            Some(u) => {
                User::set_password_hash(&mut conn, u.user_id(), &password::hash(&pw)?)?;
                User::set_active(&mut conn, u.user_id(), true)?;
                audit::record(
                    &mut conn,
                    &actor,
                    Entry::new("user.set_password", "user", u.id).details("demo seed"),
                )?;
            }
            None => {
                crate::cli::admin::create_user(
                    &mut conn,
                    &actor,
                    acc.ori,
                    acc.name,
                    acc.email,
                    "(213) 555-0142",
                    acc.roles,
                    Some((TrainingProvider::Lacris, date(2024, 3, 1))),
                    &pw,
                )?;
            }
        }
        println!("  {:<26} {:<22} password: {pw}", acc.what, acc.email);
    }
    Ok(ExitCode::SUCCESS)
}
