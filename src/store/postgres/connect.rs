//! Reaching the database: the connection string (a libpq URL or
//! `key=value` string), the password (from the string, else `PGPASSWORD`,
//! else a matching `~/.pgpass` line, as libpq does), TLS (`sslmode`
//! `disable`, `prefer`, `require`, `verify-ca`, `verify-full`, with
//! `sslrootcert`) through native-tls, and the `host/dbname` a store is
//! shown as. `ConnTarget` is cloned by every subscription so it can
//! reconnect on its own.

use std::path::PathBuf;

use native_tls::{Certificate, TlsConnector};
use postgres::Client;
use postgres::config::{Config, Host, SslMode};
use postgres_native_tls::MakeTlsConnector;

use crate::error::{Error, Result};

/// How the server's certificate is checked (libpq's `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    Disable,
    /// Encrypt if the server can (`prefer`) or must (`require`), without
    /// checking the certificate (libpq's behaviour for these modes).
    Unverified {
        required: bool,
    },
    /// Check the chain (`verify-ca`) and also the host name (`verify-full`).
    Verified {
        host_name: bool,
    },
}

/// Everything needed to open (and reopen) a connection.
#[derive(Clone)]
pub struct ConnTarget {
    config: Config,
    tls: Tls,
    root_cert: Option<PathBuf>,
    describe: String,
}

impl std::fmt::Debug for ConnTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        write!(f, "ConnTarget({})", self.describe)
    }
}

impl ConnTarget {
    /// Parses `url` (a `postgresql://` URL or a `key=value` string).
    pub fn parse(url: &str) -> Result<ConnTarget> {
        let (rest, sslmode, root_cert) = split_tls_options(url);
        let mut config: Config = rest.parse().map_err(|e| Error::Usage(format!(
            "the PostgreSQL connection string is not valid ({e}); give a libpq URL such as postgresql://user@host:5432/dbname"
        )))?;
        let tls = match sslmode.as_deref() {
            None | Some("prefer") | Some("allow") => Tls::Unverified { required: false },
            Some("disable") => Tls::Disable,
            Some("require") => Tls::Unverified { required: true },
            Some("verify-ca") => Tls::Verified { host_name: false },
            Some("verify-full") => Tls::Verified { host_name: true },
            Some(other) => {
                return Err(Error::Usage(format!(
                    "sslmode={other} is not one of disable, allow, prefer, require, verify-ca, verify-full"
                )));
            }
        };
        config.ssl_mode(match tls {
            Tls::Disable => SslMode::Disable,
            Tls::Unverified { required: false } => SslMode::Prefer,
            _ => SslMode::Require,
        });
        if config.get_hosts().is_empty() {
            config.host(&std::env::var("PGHOST").unwrap_or_else(|_| "localhost".into()));
        }
        if config.get_user().is_none() {
            let user =
                std::env::var("PGUSER").unwrap_or_else(|_| super::super::account::os_account());
            config.user(&user);
        }
        if config.get_dbname().is_none()
            && let Ok(db) = std::env::var("PGDATABASE")
        {
            config.dbname(&db);
        }
        if config.get_password().is_none()
            && let Some(password) = super::password::find(&config)
        {
            config.password(password);
        }
        let describe = describe(&config);
        Ok(ConnTarget {
            config,
            tls,
            root_cert: root_cert.map(PathBuf::from).or_else(default_root_cert),
            describe,
        })
    }

    /// `host/dbname`, for headers and messages.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// The login this target connects as.
    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or_default()
    }

    /// Opens a connection.
    pub fn connect(&self) -> Result<Client> {
        let result = match self.tls {
            Tls::Disable => self.config.connect(postgres::NoTls),
            _ => self.config.connect(self.tls_connector()?),
        };
        result.map_err(|e| self.error("connect", &e))
    }

    fn tls_connector(&self) -> Result<MakeTlsConnector> {
        let mut builder = TlsConnector::builder();
        match self.tls {
            Tls::Verified { host_name } => {
                builder.danger_accept_invalid_hostnames(!host_name);
                if let Some(path) = &self.root_cert {
                    builder.add_root_certificate(read_cert(path)?);
                }
            }
            _ => {
                builder.danger_accept_invalid_certs(true);
                builder.danger_accept_invalid_hostnames(true);
            }
        }
        let connector = builder.build().map_err(|e| Error::Database {
            doing: "set up TLS".into(),
            store: self.describe.clone(),
            message: e.to_string(),
        })?;
        Ok(MakeTlsConnector::new(connector))
    }

    /// A database error as the tower reports it.
    pub fn error(&self, doing: &str, e: &postgres::Error) -> Error {
        db_error(&self.describe, doing, e)
    }
}

/// A database error as the tower reports it: the server's own message
/// (and hint) when there is one.
pub fn db_error(store: &str, doing: &str, e: &postgres::Error) -> Error {
    let message = match e.as_db_error() {
        Some(db) => match db.hint() {
            Some(hint) => format!("{} ({})", db.message(), hint),
            None => db.message().to_string(),
        },
        None if e.is_closed() => "the connection is closed".to_string(),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(inner) = source {
                text.push_str(": ");
                text.push_str(&inner.to_string());
                source = inner.source();
            }
            text
        }
    };
    Error::Database {
        doing: doing.to_string(),
        store: store.to_string(),
        message,
    }
}

fn read_cert(path: &PathBuf) -> Result<Certificate> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::io("read the TLS root certificate", path, e))?;
    Certificate::from_pem(&bytes)
        .or_else(|_| Certificate::from_der(&bytes))
        .map_err(|e| Error::Usage(format!("{}: not a certificate ({e})", path.display())))
}

/// libpq's default root certificate file, if it exists.
fn default_root_cert() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let path = PathBuf::from(home).join(".postgresql/root.crt");
    path.is_file().then_some(path)
}

fn describe(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or_default();
    // As `Location::describe` says it: the port when one was given.
    match config.get_ports().first() {
        Some(port) => format!("{host}:{port}/{db}"),
        None => format!("{host}/{db}"),
    }
}

/// Takes `sslmode` and `sslrootcert` out of the connection string (the
/// client crate knows neither `verify-*` nor `sslrootcert`): the rest, and
/// the two values.
fn split_tls_options(url: &str) -> (String, Option<String>, Option<String>) {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        split_url(url)
    } else {
        split_key_values(url)
    }
}

fn split_url(url: &str) -> (String, Option<String>, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None, None);
    };
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => mode = Some(percent_decode(value)),
            "sslrootcert" => root = Some(percent_decode(value)),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (rest, mode, root)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `key = value` pairs, values bare or single-quoted (with `\` escapes).
fn split_key_values(text: &str) -> (String, Option<String>, Option<String>) {
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let key: String =
            std::iter::from_fn(|| chars.next_if(|&c| c != '=' && !c.is_whitespace())).collect();
        if key.is_empty() {
            break;
        }
        while chars.next_if(|c| c.is_whitespace() || *c == '=').is_some() {}
        let (raw, value) = read_value(&mut chars);
        match key.as_str() {
            "sslmode" => mode = Some(value),
            "sslrootcert" => root = Some(value),
            _ => kept.push(format!("{key}={raw}")),
        }
    }
    (kept.join(" "), mode, root)
}

/// One value: (as written, as meant).
fn read_value(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> (String, String) {
    let (mut raw, mut value) = (String::new(), String::new());
    let quoted = chars.next_if_eq(&'\'').is_some();
    if quoted {
        raw.push('\'');
    }
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                raw.push(c);
                if let Some(next) = chars.next() {
                    raw.push(next);
                    value.push(next);
                }
            }
            '\'' if quoted => {
                raw.push(c);
                break;
            }
            c if c.is_whitespace() && !quoted => break,
            c => {
                raw.push(c);
                value.push(c);
            }
        }
    }
    (raw, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_options_are_taken_out_of_urls_and_key_values() {
        let (rest, mode, root) = split_tls_options(
            "postgresql://u@h:5/db?sslmode=verify-full&application_name=x&sslrootcert=%2Ftmp%2Fca.pem",
        );
        assert_eq!(rest, "postgresql://u@h:5/db?application_name=x");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/tmp/ca.pem"));
        let (rest, mode, root) = split_tls_options(
            "host=h user=u sslmode = require password='a b\\'c' sslrootcert='/x y'",
        );
        assert_eq!(rest, "host=h user=u password='a b\\'c'");
        assert_eq!(mode.as_deref(), Some("require"));
        assert_eq!(root.as_deref(), Some("/x y"));
    }

    #[test]
    fn describes_host_and_database() {
        let target =
            ConnTarget::parse("postgresql://u:pw@db.example:5433/tower?sslmode=disable").unwrap();
        assert_eq!(target.describe(), "db.example:5433/tower");
        let target = ConnTarget::parse("host=db.example dbname=tower user=u").unwrap();
        assert_eq!(target.describe(), "db.example/tower");
        assert!(!format!("{target:?}").contains("pw"));
        assert!(ConnTarget::parse("postgresql://u@h/db?sslmode=bogus").is_err());
    }
}
