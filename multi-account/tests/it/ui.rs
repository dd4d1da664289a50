//! Compile-time verification: every misconfiguration is one clear error on the
//! offending token (see `tests/ui/fail/*.stderr`); valid configurations compile.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
