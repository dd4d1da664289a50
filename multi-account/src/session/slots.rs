//! Stable tab slots: each account listed in this session gets the next number
//! when it first appears and keeps it while it stays; a number is never given
//! to another account in this session, so a bookmarked `/u/2/…` never acts as
//! someone else. Kept under [`keys::SLOTS`](super::keys::SLOTS) as
//! `{"next": n, "of": {id: slot}}`, only when the app turned tabs on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Slots {
    next: u32,
    of: BTreeMap<String, u32>,
}

impl Slots {
    /// The session's slots; a tampered or malformed value reads as none (and
    /// keeps nothing: its numbers are not trusted).
    pub(crate) fn from_value(value: Option<&Value>) -> Self {
        let slots = value.and_then(|value| Self::deserialize(value).ok()).unwrap_or_default();
        // Numbers at or above `next`, or one held twice: not written here.
        let mut seen = std::collections::BTreeSet::new();
        if slots.of.values().all(|slot| *slot < slots.next && seen.insert(*slot)) { slots } else { Self::default() }
    }

    pub(crate) fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// The slot of `id`, if it has one.
    pub(crate) fn of(&self, id: &str) -> Option<u32> {
        self.of.get(id).copied()
    }

    /// The account on `slot`.
    pub(crate) fn holder(&self, slot: u32) -> Option<&str> {
        self.of.iter().find(|(_, held)| **held == slot).map(|(id, _)| id.as_str())
    }

    /// Exactly `ids` hold slots afterwards: the ones that had one keep it,
    /// newcomers get the next numbers in the order given, and the others' go
    /// (not to be given again). Whether anything changed.
    pub(crate) fn keep(&mut self, ids: &[String]) -> bool {
        let before = self.of.len();
        self.of.retain(|id, _| ids.contains(id));
        let mut changed = self.of.len() != before;
        for id in ids {
            if !self.of.contains_key(id) {
                self.of.insert(id.clone(), self.next);
                self.next = self.next.saturating_add(1);
                changed = true;
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|id| (*id).to_owned()).collect()
    }

    #[test]
    fn slots_are_stable_and_never_given_twice() {
        let mut slots = Slots::default();
        assert!(slots.keep(&ids(&["a", "b", "c"])));
        assert_eq!((slots.of("a"), slots.of("b"), slots.of("c")), (Some(0), Some(1), Some(2)));
        assert!(!slots.keep(&ids(&["a", "b", "c"])));
        // b leaves; d comes: c keeps 2, d gets 3 (not b's 1).
        assert!(slots.keep(&ids(&["a", "c", "d"])));
        assert_eq!((slots.of("b"), slots.of("c"), slots.of("d")), (None, Some(2), Some(3)));
        assert_eq!(slots.holder(1), None);
        assert_eq!(slots.holder(3), Some("d"));
        // b comes back: a new number.
        slots.keep(&ids(&["a", "c", "d", "b"]));
        assert_eq!(slots.of("b"), Some(4));
        let read = Slots::from_value(Some(&slots.to_value()));
        assert_eq!(read, slots);
    }

    #[test]
    fn a_tampered_value_keeps_nothing() {
        for value in [
            serde_json::json!({"next": 1, "of": {"a": 5}}),
            serde_json::json!({"next": 1, "of": {"a": 1}}),
            serde_json::json!({"next": "x"}),
            serde_json::json!([1, 2]),
            serde_json::json!({"next": 2, "of": {"a": -1}}),
            serde_json::json!({"next": 2, "of": {"a": 1, "b": 1}}),
        ] {
            assert_eq!(Slots::from_value(Some(&value)), Slots::default(), "{value}");
        }
    }
}
