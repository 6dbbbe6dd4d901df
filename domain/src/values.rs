//! Validated value objects. Constructing one is the only way to get past the edge with input.

use std::fmt;

/// Why a value was refused. `field` names the input; `reason` is a stable machine word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct InvalidValue {
    pub field: &'static str,
    pub reason: &'static str,
}

fn invalid(field: &'static str, reason: &'static str) -> InvalidValue {
    InvalidValue { field, reason }
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A normalized (trimmed, lower-cased) e-mail address.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(invalid("email", "empty"));
        }
        if s.len() > 254 {
            return Err(invalid("email", "too_long"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("email", "malformed"));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(invalid("email", "malformed"));
        };
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return Err(invalid("email", "malformed"));
        }
        DomainName::parse(domain).map_err(|_| invalid("email", "malformed"))?;
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmailAddress(..)")
    }
}

/// A person's display name.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(invalid("name", "empty"));
        }
        if s.chars().count() > 200 {
            return Err(invalid("name", "too_long"));
        }
        if has_control(s) {
            return Err(invalid("name", "control_characters"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(..)")
    }
}

/// A company's legal or trading name (not personal data).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CompanyName(String);

impl CompanyName {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(invalid("company_name", "empty"));
        }
        if s.chars().count() > 200 {
            return Err(invalid("company_name", "too_long"));
        }
        if has_control(s) {
            return Err(invalid("company_name", "control_characters"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CompanyName {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CompanyName> for String {
    fn from(v: CompanyName) -> Self {
        v.0
    }
}

/// An internet domain name, lower-cased (`example.com`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let s = raw.trim().trim_end_matches('.').to_lowercase();
        if s.is_empty() || s.len() > 253 {
            return Err(invalid("domain", "length"));
        }
        let labels: Vec<&str> = s.split('.').collect();
        if labels.len() < 2 {
            return Err(invalid("domain", "needs_dot"));
        }
        for label in &labels {
            let ok = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                return Err(invalid("domain", "malformed"));
            }
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DomainName {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<DomainName> for String {
    fn from(v: DomainName) -> Self {
        v.0
    }
}

/// A clear-text password that met the policy; it lives only long enough to be hashed.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(invalid("password", "too_short"));
        }
        if n > Self::MAX_CHARS {
            return Err(invalid("password", "too_long"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalized_and_checked() {
        assert_eq!(
            EmailAddress::parse("  Ana@Example.COM ").map(|e| e.as_str().to_owned()),
            Ok("ana@example.com".to_owned())
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.com",
            "a b@x.com",
            "a@b@c.com",
            "a@nodot",
            "a@-x.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn domain_rules() {
        assert!(DomainName::parse("acme.io").is_ok());
        assert_eq!(
            DomainName::parse("Acme.IO.").map(|d| d.as_str().to_owned()),
            Ok("acme.io".into())
        );
        for bad in ["acme", "ac me.io", "-a.io", "a..io", ""] {
            assert!(DomainName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_policy() {
        assert_eq!(
            Password::parse("short").err(),
            Some(invalid("password", "too_short"))
        );
        assert!(Password::parse("eight888").is_ok());
        assert!(Password::parse(&"x".repeat(257)).is_err());
    }

    #[test]
    fn names_refuse_blank_and_control() {
        assert!(PersonName::parse("  ").is_err());
        assert!(PersonName::parse("Ana\u{0007}").is_err());
        assert!(CompanyName::parse("Acme GmbH").is_ok());
        assert!(CompanyName::parse(&"x".repeat(201)).is_err());
    }
}

/// A phone number as typed, trimmed: digits with an optional leading `+` and the separators
/// space, `-`, `.`, `(`, `)`; 7–15 digits (E.164 allows 15).
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(invalid("phone", "empty"));
        }
        if s.chars().count() > 30 {
            return Err(invalid("phone", "too_long"));
        }
        let body = s.strip_prefix('+').unwrap_or(s);
        if !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
        {
            return Err(invalid("phone", "malformed"));
        }
        let digits = body.chars().filter(char::is_ascii_digit).count();
        if !(7..=15).contains(&digits) {
            return Err(invalid("phone", "malformed"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PhoneNumber(..)")
    }
}

#[cfg(test)]
mod phone_tests {
    use super::PhoneNumber;

    #[test]
    fn phone_numbers() {
        for ok in ["+49 30 1234567", "(555) 123-4567", "0151.2345.678"] {
            assert!(PhoneNumber::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "12345",
            "+49 30 12ab",
            "1234567890123456",
            "++4930123456",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }
}
