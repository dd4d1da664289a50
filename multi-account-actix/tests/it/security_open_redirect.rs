//! Open redirects (SPEC §4 Security model, rule 4): `local_path`, as actix
//! re-exports it, refuses every hostile form of a redirect target and keeps the
//! odd but local ones. What the routes do with a Referer or a `return_to`-like
//! parameter is a conformance case (`open_redirect`), run on every adapter with
//! these same lists.

use multi_account_actix::local_path;
use multi_account_conformance::cases::{HOSTILE, LOCAL};

#[test]
fn local_path_refuses_every_hostile_form() {
    for target in HOSTILE {
        assert_eq!(local_path(target), None, "{target:?}");
    }
    // Over-long targets are dropped too (a return path is stored in the session).
    let long = format!("/{}", "a".repeat(512));
    assert_eq!(local_path(&long), None);
    assert_eq!(local_path(&long[..512]), Some(&long[..512]));
    // Raw quotes and angle brackets (browsers percent-encode them) are refused.
    for target in ["/\"x", "/<script>", "/a>b", "/`x`"] {
        assert_eq!(local_path(target), None, "{target:?}");
    }
}

#[test]
fn local_path_keeps_local_paths() {
    for target in LOCAL {
        assert_eq!(local_path(target), Some(target), "{target:?}");
    }
}
