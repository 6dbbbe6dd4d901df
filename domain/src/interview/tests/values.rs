//! Wire names of the enums and the token hash value.

use super::*;

#[test]
fn enums_have_stable_wire_names() {
    fn check<T: Copy + PartialEq + std::fmt::Debug + serde::Serialize>(
        all: &[T],
        names: &[&str],
        as_str: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
    ) {
        assert_eq!(all.len(), names.len());
        for (&v, &name) in all.iter().zip(names) {
            assert_eq!(as_str(v), name);
            assert_eq!(parse(name), Some(v));
            let json = serde_json::to_string(&v).expect("serializes");
            assert_eq!(json, format!("\"{name}\""));
        }
        assert_eq!(parse("nope"), None);
        assert_eq!(parse(&names[0].to_lowercase()), None);
    }
    check(
        &InterviewKind::ALL,
        &["TECHNICAL", "HR", "CULTURAL", "MANAGERIAL", "OTHER"],
        InterviewKind::as_str,
        InterviewKind::parse,
    );
    check(&Mode::ALL, &["AI", "HUMAN"], Mode::as_str, Mode::parse);
    check(
        &S::ALL,
        &[
            "NONE",
            "SCHEDULED",
            "IN_PROGRESS",
            "COMPLETED",
            "CANCELLED",
            "NO_SHOW",
        ],
        S::as_str,
        S::parse,
    );
    check(
        &Recommendation::ALL,
        &[
            "STRONG_HIRE",
            "HIRE",
            "NO_DECISION",
            "NO_HIRE",
            "STRONG_NO_HIRE",
        ],
        Recommendation::as_str,
        Recommendation::parse,
    );
    check(
        &TokenState::ALL,
        &[
            "VALID",
            "INVALID",
            "EXPIRED",
            "ALREADY_COMPLETED",
            "ALREADY_STARTED",
            "CLOSED",
        ],
        TokenState::as_str,
        TokenState::parse,
    );
    let finals: Vec<S> = S::ALL.into_iter().filter(|s| s.is_final()).collect();
    assert_eq!(finals, [S::Completed, S::Cancelled, S::NoShow]);
}

#[test]
fn token_hash_is_64_hex_digits_kept_lower_case_and_not_printed() {
    let upper = TokenHash::parse(&"AB".repeat(32)).expect("valid");
    assert_eq!(upper, token());
    assert_eq!(upper.as_str(), "ab".repeat(32));
    assert_ne!(token(), other_token());
    for bad in ["", &"ab".repeat(31), &"ab".repeat(33), &"zz".repeat(32)] {
        assert_eq!(
            TokenHash::parse(bad).err(),
            Some(InvalidValue {
                field: "token_hash",
                reason: "malformed"
            }),
            "{bad}"
        );
    }
    let shown = format!("{:?}", token());
    assert!(!shown.contains(token().as_str()), "{shown}");
    let in_command = format!("{:?}", ai().cmd());
    assert!(!in_command.contains(token().as_str()));
}
