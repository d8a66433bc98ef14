//! The password when the connection string has none, found as libpq finds
//! it: `PGPASSWORD`, else the first matching line of `PGPASSFILE` or
//! `~/.pgpass` (`hostname:port:database:username:password`, `*` matching
//! anything, `\` escaping `:` and `\`). Like libpq, a password file that
//! its group or others can read is ignored. The password never goes on a
//! command line.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use postgres::config::{Config, Host};

/// The password for `config`'s first host, port, database and user.
pub fn find(config: &Config) -> Option<String> {
    if let Ok(password) = std::env::var("PGPASSWORD")
        && !password.is_empty()
    {
        return Some(password);
    }
    let path = match std::env::var_os("PGPASSFILE") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"),
    };
    let meta = std::fs::metadata(&path).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        // libpq matches a socket directory as `localhost`.
        Some(Host::Unix(_)) | None => "localhost".to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default();
    let database = config.get_dbname().unwrap_or(user);
    lookup(&text, [&host, &port, database, user])
}

/// The password of the first line of `text` whose four fields match.
pub fn lookup(text: &str, wanted: [&str; 4]) -> Option<String> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(split_fields)
        .find(|fields| {
            fields[..4]
                .iter()
                .zip(wanted)
                .all(|(field, want)| field == "*" || field == want)
        })
        .map(|mut fields| fields.swap_remove(4))
}

/// The five fields of a line, unescaped; `None` for a short line.
fn split_fields(line: &str) -> Option<Vec<String>> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut()?.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut()?.push(c),
        }
    }
    (fields.len() == 5).then_some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_line_wins_with_wildcards_and_escapes() {
        let text =
            "# comment\nother:5432:*:*:nope\nlocalhost:*:tower:asha:s\\:ecret\n*:*:*:*:fallback\n";
        assert_eq!(
            lookup(text, ["localhost", "5432", "tower", "asha"]).as_deref(),
            Some("s:ecret")
        );
        assert_eq!(
            lookup(text, ["db", "5432", "tower", "ravi"]).as_deref(),
            Some("fallback")
        );
        assert_eq!(lookup("short:line", ["a", "b", "c", "d"]), None);
    }
}
