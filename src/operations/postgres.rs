//! Running the PostgreSQL client tools (`pg_dump`, `pg_restore`) on `database.url` without
//! putting its password on a command line (where every user of the machine could read it):
//! the password goes to the tool in `PGPASSWORD`.

use std::process::Command;

/// `program` with `--dbname=<url without its password>` and `PGPASSWORD` set when the URL has
/// one.
pub fn tool(program: &str, url: &str) -> Command {
    let (url, password) = split_password(url);
    let mut c = Command::new(program);
    c.arg(format!("--dbname={url}"));
    if let Some(p) = password {
        c.env("PGPASSWORD", p);
    }
    c
}

/// The database name of a `postgres://…/name?…` URL (for messages; never the password).
pub fn database_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.split_once('/').map_or("", |(_, p)| p);
    path.split(['?', '#']).next().unwrap_or("").to_string()
}

/// The URL without the password of its user part, and that password percent-decoded.
pub fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_string(), None);
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_string(), None);
    };
    (
        format!("{scheme}://{user}@{host}{tail}"),
        Some(percent_decode(password)),
    )
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(hex) = b.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url() {
        assert_eq!(
            split_password("postgres://frdesk:s%40cret@db.example:5432/frdesk?sslmode=require"),
            (
                "postgres://frdesk@db.example:5432/frdesk?sslmode=require".to_string(),
                Some("s@cret".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1:5440/x"),
            ("postgres://postgres@127.0.0.1:5440/x".to_string(), None)
        );
        assert_eq!(
            database_name("postgres://u:p@h:1/frdesk_test?x=1"),
            "frdesk_test"
        );
    }
}
