//! Who may connect: bearer tokens and user/password pairs, given on the command
//! line, in a credentials file or in the environment.
//!
//! A credentials file has one entry per line; lines starting with `#` are comments:
//!
//! ```text
//! token <secret> [name]          a bearer token (the name shows in logs, not the secret)
//! user <name> <password>         a user for basic authentication
//! user <name> sha256:<hex>       the same with the password's SHA-256 digest instead
//! ```
//!
//! Secrets are compared through their SHA-256 digests in constant time.

use std::path::Path;

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use sha2::{Digest, Sha256};
use tonic::Status;
use tonic::metadata::MetadataMap;

use crate::server::ServerError;

/// The environment variable holding a bearer token.
pub const TOKEN_ENV: &str = "FIRN_TOKEN";
/// The environment variable holding a user name (with [`PASSWORD_ENV`]).
pub const USER_ENV: &str = "FIRN_USER";
/// The environment variable holding the password of [`USER_ENV`].
pub const PASSWORD_ENV: &str = "FIRN_PASSWORD";

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// Nobody in particular: the server requires no authentication.
    Anonymous,
    /// A holder of the named bearer token.
    Token(String),
    /// A user authenticated with a password.
    User(String),
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Principal::Anonymous => write!(f, "anonymous"),
            Principal::Token(name) => write!(f, "token '{name}'"),
            Principal::User(name) => write!(f, "user '{name}'"),
        }
    }
}

type Digest32 = [u8; 32];

/// Base64 as basic authentication sends it, with or without `=` padding
/// (Go's Flight client leaves it out).
const BASIC: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn digest(secret: &str) -> Digest32 {
    Sha256::digest(secret.as_bytes()).into()
}

/// Equality of two digests in time independent of where they differ.
fn same(a: &Digest32, b: &Digest32) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug, Clone)]
struct TokenEntry {
    name: String,
    digest: Digest32,
}

#[derive(Debug, Clone)]
struct UserEntry {
    name: String,
    password: Digest32,
}

/// The tokens and users a server accepts. Empty: no authentication.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    tokens: Vec<TokenEntry>,
    users: Vec<UserEntry>,
}

impl Credentials {
    /// No credentials (a server with them requires no authentication).
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether no token or user is configured.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty() && self.users.is_empty()
    }

    /// Accepts the bearer token `secret`.
    pub fn with_token(mut self, secret: &str) -> Result<Self, ServerError> {
        let name = format!("#{}", self.tokens.len() + 1);
        self.add_token(secret, name)?;
        Ok(self)
    }

    /// Accepts `user` with `password`.
    pub fn with_user(mut self, user: &str, password: &str) -> Result<Self, ServerError> {
        self.add_user(user, digest_of_password(user, password)?)?;
        Ok(self)
    }

    fn add_token(&mut self, secret: &str, name: String) -> Result<(), ServerError> {
        if secret.is_empty() || secret.chars().any(char::is_whitespace) {
            return Err(ServerError::Config(format!(
                "token {name} is empty or contains white space"
            )));
        }
        self.tokens.push(TokenEntry {
            name,
            digest: digest(secret),
        });
        Ok(())
    }

    fn add_user(&mut self, user: &str, password: Digest32) -> Result<(), ServerError> {
        if user.is_empty() || user.contains(':') || user.chars().any(char::is_whitespace) {
            return Err(ServerError::Config(format!(
                "user name '{user}' is empty or contains ':' or white space"
            )));
        }
        if self.users.iter().any(|u| u.name == user) {
            return Err(ServerError::Config(format!("user '{user}' is given twice")));
        }
        self.users.push(UserEntry {
            name: user.to_string(),
            password,
        });
        Ok(())
    }

    /// Adds the entries of a credentials file (see the module docs).
    pub fn with_file(mut self, path: &Path) -> Result<Self, ServerError> {
        let text = std::fs::read_to_string(path).map_err(|source| ServerError::Io {
            context: format!("cannot read credentials file '{}'", path.display()),
            source,
        })?;
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = || format!("{}:{}", path.display(), number + 1);
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                ["token", secret] => {
                    let name = format!("{} line {}", path.display(), number + 1);
                    self.add_token(secret, name)?;
                }
                ["token", secret, name] => self.add_token(secret, (*name).to_string())?,
                ["user", name, password] => {
                    let digest = match password.strip_prefix("sha256:") {
                        Some(hex) => parse_hex_digest(hex).ok_or_else(|| {
                            ServerError::Config(format!(
                                "{}: 'sha256:' must be followed by 64 hex digits",
                                at()
                            ))
                        })?,
                        None => digest_of_password(name, password)?,
                    };
                    self.add_user(name, digest)?;
                }
                _ => {
                    return Err(ServerError::Config(format!(
                        "{}: expected 'token <secret> [name]' or 'user <name> <password>'",
                        at()
                    )));
                }
            }
        }
        Ok(self)
    }

    /// Adds `FIRN_TOKEN` and `FIRN_USER`/`FIRN_PASSWORD` when they are set.
    pub fn with_env(self) -> Result<Self, ServerError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut credentials = self;
        if let Some(token) = var(TOKEN_ENV) {
            credentials.add_token(&token, TOKEN_ENV.to_string())?;
        }
        match (var(USER_ENV), var(PASSWORD_ENV)) {
            (Some(user), Some(password)) => {
                credentials = credentials.with_user(&user, &password)?
            }
            (None, None) => {}
            _ => {
                return Err(ServerError::Config(format!(
                    "set both {USER_ENV} and {PASSWORD_ENV}, or neither"
                )));
            }
        }
        Ok(credentials)
    }

    /// The holder of `secret`, if it is a configured token.
    pub(crate) fn check_token(&self, secret: &str) -> Option<Principal> {
        let presented = digest(secret);
        let mut found = None;
        // Compare against every token so timing does not tell which one matched.
        for token in &self.tokens {
            if same(&token.digest, &presented) {
                found = Some(Principal::Token(token.name.clone()));
            }
        }
        found
    }

    /// The user, if `password` is theirs.
    pub(crate) fn check_user(&self, user: &str, password: &str) -> Option<Principal> {
        let presented = digest(password);
        let entry = self.users.iter().find(|u| u.name == user)?;
        same(&entry.password, &presented).then(|| Principal::User(entry.name.clone()))
    }
}

fn digest_of_password(user: &str, password: &str) -> Result<Digest32, ServerError> {
    if password.is_empty() {
        return Err(ServerError::Config(format!(
            "user '{user}' has an empty password"
        )));
    }
    Ok(digest(password))
}

fn parse_hex_digest(hex: &str) -> Option<Digest32> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// What a request's `authorization` header says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Authorization {
    /// `Bearer <token>`: a configured token or a session token from a handshake.
    Bearer(String),
    /// `Basic base64(user:password)`.
    Basic {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
}

/// Reads the `authorization` header, if any.
pub(crate) fn authorization(metadata: &MetadataMap) -> Result<Option<Authorization>, Status> {
    let Some(value) = metadata.get("authorization") else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| Status::unauthenticated("the authorization header is not valid text"))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        return Ok(Some(Authorization::Bearer(rest.to_string())));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = BASIC
            .decode(rest)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| Status::unauthenticated("the basic credentials are not valid base64"))?;
        let (user, password) = decoded.split_once(':').ok_or_else(|| {
            Status::unauthenticated("basic credentials must have the form user:password")
        })?;
        return Ok(Some(Authorization::Basic {
            user: user.to_string(),
            password: password.to_string(),
        }));
    }
    Err(Status::unauthenticated(
        "unsupported authorization scheme: use 'Bearer <token>' or 'Basic <credentials>'",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

    #[test]
    fn tokens_and_users_are_checked() {
        let credentials = Credentials::new()
            .with_token("s3cret-token")
            .and_then(|c| c.with_user("alice", "wonderland"))
            .expect("valid");
        assert_eq!(
            credentials.check_token("s3cret-token"),
            Some(Principal::Token("#1".into()))
        );
        assert_eq!(credentials.check_token("s3cret-tokeN"), None);
        assert_eq!(
            credentials.check_user("alice", "wonderland"),
            Some(Principal::User("alice".into()))
        );
        assert_eq!(credentials.check_user("alice", "nope"), None);
        assert_eq!(credentials.check_user("bob", "wonderland"), None);
    }

    #[test]
    fn reads_a_credentials_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("credentials");
        let hash: String = digest("hunter2")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(
            &path,
            format!(
                "# comment\ntoken abc123 ci\n\nuser alice wonderland\nuser bob sha256:{hash}\n"
            ),
        )
        .expect("write");
        let credentials = Credentials::new().with_file(&path).expect("valid file");
        assert_eq!(
            credentials.check_token("abc123"),
            Some(Principal::Token("ci".into()))
        );
        assert!(credentials.check_user("alice", "wonderland").is_some());
        assert!(credentials.check_user("bob", "hunter2").is_some());

        std::fs::write(&path, "user carol\n").expect("write");
        let err = Credentials::new().with_file(&path).unwrap_err();
        assert!(err.to_string().contains(":1: expected"), "{err}");
        std::fs::write(&path, "user carol sha256:abcd\n").expect("write");
        let err = Credentials::new().with_file(&path).unwrap_err();
        assert!(err.to_string().contains("64 hex digits"), "{err}");
    }

    #[test]
    fn parses_authorization_headers() {
        let mut metadata = MetadataMap::new();
        assert_eq!(authorization(&metadata).expect("none"), None);
        metadata.insert("authorization", "Bearer abc".parse().expect("ascii"));
        assert_eq!(
            authorization(&metadata).expect("bearer"),
            Some(Authorization::Bearer("abc".into()))
        );
        let basic = format!("Basic {}", STANDARD.encode("alice:pa:ss"));
        metadata.insert("authorization", basic.parse().expect("ascii"));
        assert!(authorization(&metadata).is_ok());
        // Go's client sends it without padding.
        let basic = format!("Basic {}", STANDARD_NO_PAD.encode("alice:pa:ss"));
        metadata.insert("authorization", basic.parse().expect("ascii"));
        assert_eq!(
            authorization(&metadata).expect("basic"),
            Some(Authorization::Basic {
                user: "alice".into(),
                password: "pa:ss".into()
            })
        );
        metadata.insert("authorization", "Basic !!!".parse().expect("ascii"));
        assert_eq!(
            authorization(&metadata).unwrap_err().code(),
            tonic::Code::Unauthenticated
        );
        metadata.insert("authorization", "Digest x".parse().expect("ascii"));
        assert!(authorization(&metadata).is_err());
    }
}
