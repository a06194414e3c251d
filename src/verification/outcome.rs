//! Every way a domain verification can end, each distinct and explained (E-DV-05).
//!
//! An admin who clicks *Verify* and gets "failed" cannot fix anything; one who gets "the TXT
//! record at acme.example holds a different code (...)" can. So each outcome has a stable
//! kebab-case code (what features and other implementations compare) and an explanation
//! that says what was found and what to do (what a person reads).

use serde::Serialize;

/// The value a DNS TXT record or the web file must hold, before the code (E-DV-02, E-DV-03).
pub const RECORD_PREFIX: &str = "logmein-verification-code=";
/// Where the web method looks, on `http://<domain>` (E-DV-03).
pub const FILE_PATH: &str = "/logmein-verification-code.txt";
/// Days an organization has to verify a domain after starting (E-DV-04).
pub const DEADLINE_DAYS: i64 = 10;

/// The method that proved ownership, or that a check used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// A TXT record at the domain (or the subdomain being verified).
    Dns,
    /// The file `http://<domain>/logmein-verification-code.txt`.
    Web,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Dns => "dns",
            Method::Web => "web",
        }
    }
}

/// How a verification (or one method's check) ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "outcome",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum Outcome {
    /// Ownership proven.
    Verified { method: Method },
    /// A well-formed verification value with another code (e.g. a stale one, or another
    /// organization's).
    WrongCode { method: Method, found: Vec<String> },
    /// A TXT record with several character-strings whose concatenation is not the value.
    MultipleStrings { strings: Vec<String> },
    /// A TXT record that looks like a verification record but is not exactly one (spaces,
    /// quotes, a code that is not a UUID).
    MalformedRecord { value: String },
    /// The name exists but has no TXT record.
    NoRecord,
    /// The name does not exist (NXDOMAIN).
    DomainNotFound,
    /// TXT records exist (SPF, other services' codes), but none is a verification record.
    OtherTxtRecordsOnly { count: usize },
    /// The name server answered with an error code (SERVFAIL, REFUSED, ...).
    DnsServerFailure { response_code: String },
    /// The name server did not answer in time.
    DnsTimeout,
    /// The name server could not be reached at all.
    DnsUnreachable { reason: String },
    /// The 10-day window closed; a new code was issued (E-DV-04).
    Expired { new_code: String },
    /// The web server answered 404 (or 410) for the file.
    FileNotFound,
    /// The web server answered another error status.
    FileHttpError { status: u16 },
    /// The file holds the value with blank spaces around or inside it (E-DV-03).
    FileWithWhitespace,
    /// The file holds something else entirely.
    FileWrongContent { excerpt: String },
    /// The file is larger than any valid file could be (the read stopped at the limit).
    FileTooLarge { limit: usize },
    /// The web server redirected; redirects are not followed (see `verifier`).
    Redirect { status: u16, location: String },
    /// The web server took too long.
    WebTimeout,
    /// The web server could not be reached.
    WebUnreachable { reason: String },
    /// The method has no server to ask (no name server or web server configured).
    NotConfigured { method: Method },
    /// The domain name is not a valid domain name.
    InvalidDomain { reason: String },
    /// The code is not a UUID.
    InvalidCode { reason: String },
}

/// Cuts text a server sent (possibly 100 KB of it) to something a message can show.
pub fn excerpt(s: &str, max: usize) -> String {
    let shown: String = s.chars().take(max).flat_map(char::escape_default).collect();
    if s.chars().count() > max {
        format!("{shown}... ({} bytes in all)", s.len())
    } else {
        shown
    }
}

impl Outcome {
    /// The stable code features and other implementations compare.
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Verified { .. } => "verified",
            Outcome::WrongCode { .. } => "wrong-code",
            Outcome::MultipleStrings { .. } => "multiple-txt-strings",
            Outcome::MalformedRecord { .. } => "malformed-record",
            Outcome::NoRecord => "no-record",
            Outcome::DomainNotFound => "domain-not-found",
            Outcome::OtherTxtRecordsOnly { .. } => "other-txt-records-only",
            Outcome::DnsServerFailure { .. } => "dns-server-failure",
            Outcome::DnsTimeout => "dns-timeout",
            Outcome::DnsUnreachable { .. } => "dns-unreachable",
            Outcome::Expired { .. } => "expired",
            Outcome::FileNotFound => "file-not-found",
            Outcome::FileHttpError { .. } => "file-http-error",
            Outcome::FileWithWhitespace => "file-with-whitespace",
            Outcome::FileWrongContent { .. } => "file-wrong-content",
            Outcome::FileTooLarge { .. } => "file-too-large",
            Outcome::Redirect { .. } => "redirect",
            Outcome::WebTimeout => "web-timeout",
            Outcome::WebUnreachable { .. } => "web-unreachable",
            Outcome::NotConfigured { .. } => "not-configured",
            Outcome::InvalidDomain { .. } => "invalid-domain",
            Outcome::InvalidCode { .. } => "invalid-code",
        }
    }

    pub fn is_verified(&self) -> bool {
        matches!(self, Outcome::Verified { .. })
    }

    /// Whether the method found nothing published at all (so another method's finding is
    /// the more useful one to report).
    pub fn found_nothing(&self) -> bool {
        matches!(
            self,
            Outcome::NoRecord
                | Outcome::DomainNotFound
                | Outcome::OtherTxtRecordsOnly { .. }
                | Outcome::FileNotFound
                | Outcome::NotConfigured { .. }
                | Outcome::WebUnreachable { .. }
        )
    }

    /// What happened and what to do, for the domain and code being verified.
    pub fn explain(&self, domain: &str, code: &str) -> String {
        let want = format!("{RECORD_PREFIX}{code}");
        let url = format!("http://{domain}{FILE_PATH}");
        match self {
            Outcome::Verified {
                method: Method::Dns,
            } => {
                format!("verified: the TXT record at {domain} holds {want}")
            }
            Outcome::Verified {
                method: Method::Web,
            } => {
                format!("verified: {url} holds exactly {want}")
            }
            Outcome::WrongCode { method, found } => format!(
                "not verified: {} holds a verification code, but not this domain's current one \
                 (found {}; expected {code}). Replace it with {want}",
                match method {
                    Method::Dns => format!("the TXT record at {domain}"),
                    Method::Web => url.clone(),
                },
                found
                    .iter()
                    .map(|f| excerpt(f, 80))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Outcome::MultipleStrings { strings } => format!(
                "not verified: a TXT record at {domain} has {} strings ({}); a record's strings \
                 are read joined together, and joined they are not {want}. Publish the value as \
                 a TXT record of its own, in one string",
                strings.len(),
                strings
                    .iter()
                    .take(5)
                    .map(|s| format!("\"{}\"", excerpt(s, 80)))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Outcome::MalformedRecord { value } => format!(
                "not verified: the TXT record at {domain} looks like a verification record but \
                 is not exactly {want}: found \"{}\" (no spaces, quotes or other text allowed)",
                excerpt(value, 120)
            ),
            Outcome::NoRecord => format!(
                "not verified: {domain} exists but has no TXT record; add {want} as a TXT \
                 record at {domain} (each subdomain needs its own)"
            ),
            Outcome::DomainNotFound => format!(
                "not verified: the name server says {domain} does not exist (NXDOMAIN); check \
                 the spelling and that the zone is published"
            ),
            Outcome::OtherTxtRecordsOnly { count } => format!(
                "not verified: {domain} has {count} TXT record(s), but none is a verification \
                 record; add {want}"
            ),
            Outcome::DnsServerFailure { response_code } => format!(
                "not verified: the name server answered {response_code} for {domain}; the \
                 record could not be read, so try again once the DNS host is healthy"
            ),
            Outcome::DnsTimeout => format!(
                "not verified: the name server did not answer for {domain} in time; try again \
                 later"
            ),
            Outcome::DnsUnreachable { reason } => {
                format!("not verified: the name server could not be reached ({reason})")
            }
            Outcome::Expired { new_code } => format!(
                "expired: the {DEADLINE_DAYS}-day verification window for {domain} closed; a new \
                 code was issued: publish {RECORD_PREFIX}{new_code} and verify again"
            ),
            Outcome::FileNotFound => {
                format!("not verified: {url} was not found (404); upload the file to the web root")
            }
            Outcome::FileHttpError { status } => format!(
                "not verified: {url} answered HTTP {status}; it must answer 200 with the file"
            ),
            Outcome::FileWithWhitespace => format!(
                "not verified: {url} holds the value with blank spaces or line breaks around or \
                 inside it; the file must contain exactly {want} and nothing else"
            ),
            Outcome::FileWrongContent { excerpt: e } => {
                format!("not verified: {url} does not hold {want}; it starts with \"{e}\"")
            }
            Outcome::FileTooLarge { limit } => format!(
                "not verified: {url} is larger than {limit} bytes, so it cannot be the \
                 verification file; the file must contain exactly {want}"
            ),
            Outcome::Redirect { status, location } => format!(
                "not verified: {url} redirects ({status}) to {}; redirects are not followed, \
                 because a file elsewhere proves control of that place, not of {domain}. Serve \
                 the file at {url} itself",
                excerpt(location, 200)
            ),
            Outcome::WebTimeout => format!("not verified: {url} did not answer in time"),
            Outcome::WebUnreachable { reason } => {
                format!("not verified: {url} could not be fetched ({reason})")
            }
            Outcome::NotConfigured { method } => format!(
                "not checked: no {} server is configured for the verifier",
                match method {
                    Method::Dns => "name",
                    Method::Web => "web",
                }
            ),
            Outcome::InvalidDomain { reason } => {
                format!("not verified: not a valid domain name: {reason}")
            }
            Outcome::InvalidCode { reason } => {
                format!("not verified: not a valid verification code: {reason}")
            }
        }
    }
}
