//! The `"<short_name>?id=<id>"` subject: round trips and no panic on any input.

use multi_account::{SubjectError, format_subject, parse_subject};
use proptest::prelude::*;

proptest! {
    #[test]
    fn i32_round_trips(id in any::<i32>()) {
        prop_assert_eq!(parse_subject::<i32>("user", &format_subject("user", &id)), Ok(id));
    }

    #[test]
    fn i64_round_trips(id in any::<i64>()) {
        prop_assert_eq!(parse_subject::<i64>("user", &format_subject("user", &id)), Ok(id));
    }

    #[test]
    fn uuid_round_trips(bytes in any::<[u8; 16]>()) {
        let id = uuid::Uuid::from_bytes(bytes);
        prop_assert_eq!(parse_subject::<uuid::Uuid>("user", &format_subject("user", &id)), Ok(id));
    }

    // Up to 63 chars of at most 4 bytes: within MAX_ID_LEN (255 bytes).
    #[test]
    fn string_round_trips(id in "\\PC{1,63}") {
        prop_assert_eq!(parse_subject::<String>("member", &format_subject("member", &id)), Ok(id.clone()));
    }

    #[test]
    fn arbitrary_input_never_panics(input in any::<String>()) {
        let _ = parse_subject::<i64>("user", &input);
        let _ = parse_subject::<i32>("user", &input);
        let _ = parse_subject::<uuid::Uuid>("user", &input);
        let _ = parse_subject::<String>("user", &input);
    }

    #[test]
    fn another_short_name_is_refused(id in any::<i64>()) {
        prop_assert_eq!(
            parse_subject::<i64>("user", &format_subject("admin", &id)),
            Err(SubjectError::WrongPrefix { expected: "user" })
        );
    }
}

#[test]
fn malformed_subjects_are_refused() {
    for bad in
        ["", "user", "user?id=", "user?id=1 ", "user?id=+1", "user?id=01", "user?id=1x", "user?ID=1", "xuser?id=1"]
    {
        assert!(parse_subject::<i64>("user", bad).is_err(), "{bad:?}");
    }
    let too_long = format!("user?id={}", "a".repeat(multi_account::MAX_ID_LEN + 1));
    assert_eq!(parse_subject::<String>("user", &too_long), Err(SubjectError::MalformedId));
    let upper = format!("user?id={}", uuid::Uuid::nil().to_string().to_uppercase().replace('0', "A"));
    assert!(parse_subject::<uuid::Uuid>("user", &upper).is_err(), "non-canonical uuid");
}
