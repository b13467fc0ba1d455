//! [`Checkpoint`]: where a poller stands in a trigger's feed, and what of a page is new.

use std::{collections::BTreeSet, fmt};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{PAGE_SIZE, PollEvent, TriggerItem};

/// Where a poller stands in a trigger's feed: the newest item it delivered.
///
/// Holds the item's id and `created_at`, and the ids of the delivered items sharing that
/// `created_at` (at most about one page of them), so that items of equal timestamps are
/// neither lost nor repeated. Stored as JSON, e.g.
/// `{"id":"01J…","created_at":"2026-05-07T08:14:23Z","same_time_ids":["01J…"]}`; `id` and
/// `created_at` are required (both `null` for [`Checkpoint::beginning`]).
///
/// ```
/// use qyvo::poll::Checkpoint;
///
/// let at = "2026-05-07T08:14:23Z".parse()?;
/// let checkpoint = Checkpoint::after("01J0MSG", Some(at));
/// assert_eq!(checkpoint.id(), Some("01J0MSG"));
/// assert_eq!(checkpoint.to_string(), "after 01J0MSG (2026-05-07 08:14:23 UTC)");
/// let json = serde_json::to_string(&checkpoint)?;
/// assert_eq!(serde_json::from_str::<Checkpoint>(&json)?, checkpoint);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    #[serde(deserialize_with = "Option::deserialize")]
    id: Option<String>,
    #[serde(deserialize_with = "Option::deserialize")]
    created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    same_time_ids: BTreeSet<String>,
}

impl Checkpoint {
    /// A checkpoint before every item: all items are new (a full page yields a
    /// [`PollEvent::Gap`] first).
    ///
    /// ```
    /// assert_eq!(qyvo::poll::Checkpoint::beginning().id(), None);
    /// ```
    pub fn beginning() -> Self {
        Self {
            id: None,
            created_at: None,
            same_time_ids: BTreeSet::new(),
        }
    }

    /// A checkpoint right after a known item, e.g. the last one another system processed.
    ///
    /// ```
    /// let checkpoint = qyvo::poll::Checkpoint::after("01J0MSG", None);
    /// assert_eq!(checkpoint.created_at(), None);
    /// ```
    pub fn after(id: impl Into<String>, created_at: Option<DateTime<Utc>>) -> Self {
        let id = id.into();
        Self {
            same_time_ids: BTreeSet::from([id.clone()]),
            id: Some(id),
            created_at,
        }
    }

    /// The newest delivered item's id; `None` at the beginning.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The newest delivered item's `created_at`, when known.
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        self.created_at
    }

    /// Moves past a delivered item (items come oldest first); never moves the time back.
    pub(super) fn advance<T: TriggerItem>(&mut self, item: &T) {
        let at = item.created_at();
        match (at, self.created_at) {
            (Some(at), Some(seen)) if at < seen => return,
            (Some(at), Some(seen)) if at == seen => {}
            _ => {
                self.same_time_ids.clear();
                self.created_at = at;
            }
        }
        self.id = Some(item.id().to_owned());
        self.same_time_ids.insert(item.id().to_owned());
    }

    /// Splits a newest-first page into what is new, oldest first, and the checkpoint after it.
    pub(super) fn plan<T: TriggerItem>(&self, page: Vec<T>) -> (Vec<PollEvent<T>>, Checkpoint) {
        let mut next = self.clone();
        if page.len() >= PAGE_SIZE {
            // Ids that fell off a full page cannot come back (records are only added), so the
            // set stays bounded by about one page.
            next.same_time_ids
                .retain(|id| page.iter().any(|item| item.id() == id));
        }
        let position = self
            .id
            .as_deref()
            .and_then(|id| page.iter().position(|item| item.id() == id));
        let mut uncertain = false;
        let mut fresh = Vec::with_capacity(page.len());
        for (index, item) in page.iter().enumerate() {
            fresh.push(match (&self.id, item.created_at(), self.created_at) {
                (None, _, _) => true,
                (Some(_), Some(at), Some(seen)) => {
                    at > seen || (at == seen && !self.same_time_ids.contains(item.id()))
                }
                (Some(_), _, _) => match position {
                    Some(p) => index < p,
                    None => {
                        uncertain = true;
                        true
                    }
                },
            });
        }
        let full_and_new = page.len() >= PAGE_SIZE && fresh.iter().all(|f| *f);
        let mut events = Vec::new();
        if uncertain || full_and_new {
            events.push(PollEvent::Gap {
                since: self.clone(),
            });
        }
        for (item, new) in page.into_iter().zip(fresh).rev() {
            if new {
                next.advance(&item);
                events.push(PollEvent::Item(item));
            }
        }
        (events, next)
    }
}

impl Default for Checkpoint {
    /// [`Checkpoint::beginning`].
    fn default() -> Self {
        Self::beginning()
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.id, self.created_at) {
            (None, _) => f.write_str("the beginning"),
            (Some(id), Some(at)) => write!(f, "after {id} ({at})"),
            (Some(id), None) => write!(f, "after {id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types;

    /// A campaign: the one trigger item whose `created_at` is optional.
    fn item(id: &str, second: Option<u32>) -> types::Campaign {
        types::Campaign::builder()
            .id(id)
            .created_at(second.map(|s| {
                "2026-05-07T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
                    + chrono::Duration::seconds(i64::from(s))
            }))
            .try_into()
            .unwrap()
    }

    /// A newest-first page of `(id, second)`.
    fn page(items: &[(&str, Option<u32>)]) -> Vec<types::Campaign> {
        items.iter().map(|(id, s)| item(id, *s)).collect()
    }

    fn ids(events: &[PollEvent<types::Campaign>]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                PollEvent::Item(c) => c.id.clone(),
                PollEvent::Gap { .. } => "GAP".to_owned(),
                PollEvent::LeaseAcquired { .. } | PollEvent::LeaseLost => "LEASE".to_owned(),
            })
            .collect()
    }

    fn after(items: &[(&str, Option<u32>)]) -> Checkpoint {
        let mut checkpoint = Checkpoint::beginning();
        for i in page(items).iter().rev() {
            checkpoint.advance(i);
        }
        checkpoint
    }

    #[test]
    fn new_items_come_oldest_first_up_to_the_checkpoint() {
        let checkpoint = after(&[("b", Some(2)), ("a", Some(1))]);
        assert_eq!(checkpoint.id(), Some("b"));
        let (events, next) = checkpoint.plan(page(&[
            ("d", Some(4)),
            ("c", Some(3)),
            ("b", Some(2)),
            ("a", Some(1)),
        ]));
        assert_eq!(ids(&events), ["c", "d"]);
        assert_eq!(next.id(), Some("d"));
        let (again, _) = next.plan(page(&[("d", Some(4)), ("c", Some(3))]));
        assert!(again.is_empty());
    }

    #[test]
    fn equal_timestamps_are_neither_lost_nor_repeated_in_any_order() {
        let checkpoint = after(&[("b", Some(5)), ("a", Some(5))]);
        // The server lists ties in either order; "c" arrived in the same second after "b".
        for order in [
            page(&[("c", Some(5)), ("b", Some(5)), ("a", Some(5))]),
            page(&[("a", Some(5)), ("b", Some(5)), ("c", Some(5))]),
        ] {
            let (events, next) = checkpoint.plan(order);
            assert_eq!(ids(&events), ["c"]);
            let (again, _) = next.plan(page(&[("c", Some(5)), ("b", Some(5))]));
            assert!(again.is_empty());
        }
    }

    #[test]
    fn a_deleted_checkpoint_item_falls_back_to_created_at() {
        let checkpoint = after(&[("b", Some(2))]);
        let (events, _) = checkpoint.plan(page(&[("c", Some(3)), ("a", Some(1))]));
        assert_eq!(ids(&events), ["c"]);
    }

    #[test]
    fn a_full_page_of_new_items_starts_with_a_gap() {
        let checkpoint = after(&[("old", Some(1))]);
        let full: Vec<_> = (0..PAGE_SIZE)
            .rev()
            .map(|n| item(&format!("n{n:03}"), Some(10)))
            .collect();
        let (events, next) = checkpoint.plan(full.clone());
        assert_eq!(events.len(), PAGE_SIZE + 1);
        assert_eq!(events[0], PollEvent::Gap { since: checkpoint });
        assert_eq!(ids(&events[1..3]), ["n000", "n001"]);
        // Nothing new: no gap, even though the page is still full.
        assert!(next.plan(full).0.is_empty());
        // A full page that reaches the checkpoint is no gap.
        let mut reaching: Vec<_> = (0..PAGE_SIZE - 1)
            .map(|n| item(&format!("m{n:03}"), Some(20)))
            .collect();
        reaching.push(item("n099", Some(10)));
        assert_eq!(next.plan(reaching).0.len(), PAGE_SIZE - 1);
    }

    #[test]
    fn the_tie_set_stays_bounded_by_a_page() {
        let mut checkpoint = Checkpoint::beginning();
        for round in 0..5 {
            let full: Vec<_> = (0..PAGE_SIZE)
                .rev()
                .map(|n| item(&format!("r{round}-{n:03}"), Some(7)))
                .collect();
            checkpoint = checkpoint.plan(full).1;
        }
        assert!(checkpoint.same_time_ids.len() <= PAGE_SIZE);
    }

    #[test]
    fn items_without_created_at_use_the_id_walk() {
        let checkpoint = after(&[("b", None)]);
        let (events, _) = checkpoint.plan(page(&[("c", None), ("b", None), ("a", None)]));
        assert_eq!(ids(&events), ["c"]);
        // The checkpoint's id is gone and nothing can be compared: flag it, deliver all.
        let (events, _) = checkpoint.plan(page(&[("d", None), ("c", None)]));
        assert_eq!(ids(&events), ["GAP", "c", "d"]);
    }

    #[test]
    fn the_beginning_makes_everything_new() {
        let (events, next) = Checkpoint::beginning().plan(page(&[("b", Some(2)), ("a", None)]));
        assert_eq!(ids(&events), ["a", "b"]);
        assert_eq!(next, after(&[("b", Some(2))]));
    }

    #[test]
    fn checkpoints_round_trip_and_reject_other_shapes() {
        let checkpoint = after(&[("b", Some(2)), ("a", Some(2))]);
        let json = serde_json::to_string(&checkpoint).unwrap();
        assert_eq!(
            json,
            r#"{"id":"b","created_at":"2026-05-07T08:00:02Z","same_time_ids":["a","b"]}"#
        );
        assert_eq!(
            serde_json::from_str::<Checkpoint>(&json).unwrap(),
            checkpoint
        );
        let start: Checkpoint = serde_json::from_str(r#"{"id":null,"created_at":null}"#).unwrap();
        assert_eq!(start, Checkpoint::beginning());
        for bad in ["", "{}", "[]", r#"{"id":3,"created_at":null}"#, "{\"id\":"] {
            assert!(serde_json::from_str::<Checkpoint>(bad).is_err(), "{bad}");
        }
    }
}
