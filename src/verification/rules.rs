//! The verification rules themselves, pure and without I/O (E-DV-02, E-DV-03, E-DV-05):
//! what a valid domain and code look like, and how the TXT records found at a name, or the
//! body of the web file, are judged against a code. The verifier feeds them what the servers
//! said; tests feed them directly.

use super::outcome::{Method, Outcome, RECORD_PREFIX, excerpt};

/// Normalises a domain name (trimmed, lower case, no trailing dot, IDN in its ASCII form) or
/// says why it is not one. Rules: RFC 1035 §2.3.4 lengths, LDH labels (RFC 5890), at least
/// two labels (an organization verifies a registered domain or a subdomain of one).
pub fn normalise_domain(input: &str) -> Result<String, String> {
    let trimmed = input.trim().trim_end_matches('.');
    if trimmed.is_empty() {
        return Err("the name is empty".into());
    }
    if input.len() > 1024 {
        return Err(format!(
            "the name is {} bytes long (at most 253)",
            input.len()
        ));
    }
    // Hickory accepts more than a host name may hold (and its messages speak of IDNA), so the
    // ASCII rules are checked first, in the admin's terms.
    if let Some(bad) = trimmed
        .chars()
        .find(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(format!(
            "'{}' contains {:?}; a label holds only letters, digits or hyphens",
            excerpt(trimmed, 80),
            bad
        ));
    }
    let name = hickory_resolver::proto::rr::Name::from_utf8(trimmed)
        .map_err(|e| format!("'{}': {e}", excerpt(trimmed, 80)))?;
    let ascii = name.to_ascii().trim_end_matches('.').to_ascii_lowercase();
    if ascii.len() > 253 {
        return Err(format!("'{ascii}' is longer than 253 characters"));
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    if labels.len() < 2 {
        return Err(format!(
            "'{ascii}' has a single label; give a domain such as example.com"
        ));
    }
    for label in &labels {
        let ldh = label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if label.is_empty() || label.len() > 63 || !ldh {
            return Err(format!(
                "'{}' has the label '{}'; labels are 1-63 letters, digits or hyphens",
                excerpt(&ascii, 80),
                excerpt(label, 80)
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("the label '{label}' starts or ends with a hyphen"));
        }
    }
    Ok(ascii)
}

/// Normalises a verification code (a UUID in its hyphenated form, lower case).
pub fn normalise_code(input: &str) -> Result<String, String> {
    let t = input.trim();
    if t.len() != 36 {
        return Err(format!(
            "'{}' is not a UUID in the form 668e156b-f5d3-430e-9944-f1d4385d043e",
            excerpt(t, 60)
        ));
    }
    uuid::Uuid::parse_str(t)
        .map(|u| u.hyphenated().to_string())
        .map_err(|e| format!("'{}' is not a UUID: {e}", excerpt(t, 60)))
}

/// The code in a well-formed verification value (`logmein-verification-code=<uuid>`).
fn code_in(value: &str) -> Option<String> {
    value
        .strip_prefix(RECORD_PREFIX)
        .filter(|rest| rest.len() == 36)
        .and_then(|rest| uuid::Uuid::try_parse(rest).ok())
        .map(|u| u.hyphenated().to_string())
}

/// Judges the TXT records found at the name (each as its list of strings) against the code.
pub fn judge_txt(records: &[Vec<String>], code: &str) -> Outcome {
    if records.is_empty() {
        return Outcome::NoRecord;
    }
    let mut multiple = None;
    let mut malformed = None;
    let mut wrong = Vec::new();
    for strings in records {
        let joined = strings.concat();
        match code_in(&joined) {
            Some(found) if found == code => {
                return Outcome::Verified {
                    method: Method::Dns,
                };
            }
            Some(found) => {
                wrong.push(found);
                continue;
            }
            None => {}
        }
        let mentions = joined.to_ascii_lowercase().contains("logmein-verification");
        if strings.len() > 1 && mentions {
            multiple.get_or_insert_with(|| strings.clone());
        } else if mentions {
            malformed.get_or_insert(joined);
        }
    }
    if let Some(strings) = multiple {
        Outcome::MultipleStrings { strings }
    } else if let Some(value) = malformed {
        Outcome::MalformedRecord { value }
    } else if !wrong.is_empty() {
        Outcome::WrongCode {
            method: Method::Dns,
            found: wrong,
        }
    } else {
        Outcome::OtherTxtRecordsOnly {
            count: records.len(),
        }
    }
}

/// Judges the body of the web file against the code.
pub fn judge_file(body: &[u8], code: &str) -> Outcome {
    let want = format!("{RECORD_PREFIX}{code}");
    if body == want.as_bytes() {
        return Outcome::Verified {
            method: Method::Web,
        };
    }
    let text = String::from_utf8_lossy(body);
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if squeezed.len() != text.len() && code_in(&squeezed).is_some() {
        return if squeezed == want {
            Outcome::FileWithWhitespace
        } else {
            Outcome::WrongCode {
                method: Method::Web,
                found: code_in(&squeezed).into_iter().collect(),
            }
        };
    }
    match code_in(&text) {
        Some(found) => Outcome::WrongCode {
            method: Method::Web,
            found: vec![found],
        },
        None => Outcome::FileWrongContent {
            excerpt: excerpt(&text, 80),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "668e156b-f5d3-430e-9944-f1d4385d043e";

    fn rec(strings: &[&str]) -> Vec<String> {
        strings.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn judges_txt_records() {
        let good = format!("{RECORD_PREFIX}{CODE}");
        let other = format!("{RECORD_PREFIX}{}", uuid::Uuid::nil());
        assert!(judge_txt(&[rec(&["v=spf1 -all"]), rec(&[&good])], CODE).is_verified());
        assert!(judge_txt(&[rec(&["logmein-verification-code=", CODE])], CODE).is_verified());
        assert_eq!(judge_txt(&[rec(&[&other])], CODE).code(), "wrong-code");
        assert_eq!(
            judge_txt(&[rec(&[&good, "extra"])], CODE).code(),
            "multiple-txt-strings"
        );
        assert_eq!(
            judge_txt(&[rec(&[&format!(" {good}")])], CODE).code(),
            "malformed-record"
        );
        assert_eq!(
            judge_txt(&[rec(&["v=spf1 -all"])], CODE).code(),
            "other-txt-records-only"
        );
        assert_eq!(judge_txt(&[], CODE).code(), "no-record");
    }

    #[test]
    fn judges_files() {
        let good = format!("{RECORD_PREFIX}{CODE}");
        assert!(judge_file(good.as_bytes(), CODE).is_verified());
        assert_eq!(
            judge_file(format!("{good}\n").as_bytes(), CODE).code(),
            "file-with-whitespace"
        );
        assert_eq!(
            judge_file(good.replace('=', " = ").as_bytes(), CODE).code(),
            "file-with-whitespace"
        );
        assert_eq!(judge_file(b"<html>", CODE).code(), "file-wrong-content");
        let other = format!("{RECORD_PREFIX}{}", uuid::Uuid::nil());
        assert_eq!(judge_file(other.as_bytes(), CODE).code(), "wrong-code");
    }

    #[test]
    fn validates_input() {
        assert_eq!(
            normalise_domain(" Acme.Example. ").as_deref(),
            Ok("acme.example")
        );
        assert!(normalise_domain("bücher.example").is_ok_and(|d| d.starts_with("xn--")));
        for bad in [
            "",
            "localhost",
            "a..b",
            "-a.example",
            "a_b.example",
            "a b.example",
        ] {
            assert!(normalise_domain(bad).is_err(), "{bad}");
        }
        assert!(normalise_domain(&"a".repeat(100_000)).is_err());
        assert_eq!(normalise_code(&CODE.to_uppercase()).as_deref(), Ok(CODE));
        assert!(normalise_code("not-a-uuid").is_err());
        assert!(normalise_code("668e156bf5d3430e9944f1d4385d043e").is_err());
    }
}
