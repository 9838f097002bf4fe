//! First sightings: when this node first saw a recent block or transfer, and from where (its
//! own miner or wallet, the HTTP API, or a peer by node id). Node policy, not consensus: the
//! record is bounded (the oldest sighting is forgotten first) and is lost at a restart.

use crate::handshake::NodeId;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// Where a block or transfer first reached this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeenFrom {
    /// This node made it (its miner, or its wallet signed it).
    SelfNode,
    /// A client posted it to the HTTP API.
    Http,
    /// A peer sent it (directly, or inside a block).
    Peer(NodeId),
}

impl SeenFrom {
    /// The source's name in the API: `self`, `http` or `peer`.
    pub fn name(&self) -> &'static str {
        match self {
            SeenFrom::SelfNode => "self",
            SeenFrom::Http => "http",
            SeenFrom::Peer(_) => "peer",
        }
    }

    /// The peer's node id, when a peer sent it.
    pub fn peer(&self) -> Option<NodeId> {
        match self {
            SeenFrom::Peer(id) => Some(*id),
            _ => None,
        }
    }
}

/// One first sighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstSeen {
    /// When, in Unix milliseconds of this node's clock.
    pub at_ms: u64,
    /// From where.
    pub from: SeenFrom,
}

/// The API form: `{"at_ms": <u64>, "source": "self" | "http" | "peer", "peer": <node id> | null}`.
impl serde::Serialize for FirstSeen {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("FirstSeen", 3)?;
        st.serialize_field("at_ms", &self.at_ms)?;
        st.serialize_field("source", self.from.name())?;
        st.serialize_field("peer", &self.from.peer())?;
        st.end()
    }
}

/// The first sightings of the most recent `capacity` keys.
#[derive(Debug, Clone)]
pub struct Sightings<K> {
    seen: HashMap<K, FirstSeen>,
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Copy + Eq + Hash> Sightings<K> {
    /// An empty record that keeps at most `capacity` sightings (at least 1).
    pub fn new(capacity: usize) -> Sightings<K> {
        Sightings { seen: HashMap::new(), order: VecDeque::new(), capacity: capacity.max(1) }
    }

    /// Records `key` as seen at `at_ms` from `from`, unless it was seen before; returns true when
    /// this is the first sighting. Forgets the oldest sighting when full.
    pub fn note(&mut self, key: K, at_ms: u64, from: SeenFrom) -> bool {
        if self.seen.contains_key(&key) {
            return false;
        }
        if self.order.len() >= self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.seen.remove(&oldest);
            }
        }
        self.seen.insert(key, FirstSeen { at_ms, from });
        self.order.push_back(key);
        true
    }

    /// Returns the first sighting of `key`, if it is still remembered.
    pub fn get(&self, key: &K) -> Option<FirstSeen> {
        self.seen.get(key).copied()
    }

    /// How many sightings are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_sighting_is_kept_and_later_ones_are_ignored() {
        let mut s = Sightings::new(4);
        assert!(s.note(1u32, 100, SeenFrom::Http));
        assert!(!s.note(1u32, 200, SeenFrom::SelfNode));
        assert_eq!(s.get(&1), Some(FirstSeen { at_ms: 100, from: SeenFrom::Http }));
        assert_eq!(s.get(&2), None);
    }

    #[test]
    fn the_record_is_bounded_and_forgets_the_oldest_first() {
        let mut s = Sightings::new(3);
        for k in 0..10u32 {
            s.note(k, u64::from(k), SeenFrom::SelfNode);
            assert!(s.len() <= 3);
        }
        assert_eq!((s.get(&6), s.get(&7).map(|f| f.at_ms)), (None, Some(7)));
        assert!(s.get(&9).is_some());
    }

    #[test]
    fn a_sighting_serialises_to_its_api_form() {
        let f = FirstSeen { at_ms: 5, from: SeenFrom::Http };
        assert_eq!(serde_json::to_value(f).unwrap(), serde_json::json!({"at_ms": 5, "source": "http", "peer": null}));
    }

    #[test]
    fn sources_have_their_api_names() {
        let id: NodeId = "02".chars().chain("ab".repeat(32).chars()).collect::<String>().parse().unwrap();
        assert_eq!((SeenFrom::Peer(id).name(), SeenFrom::Peer(id).peer()), ("peer", Some(id)));
        assert_eq!((SeenFrom::SelfNode.name(), SeenFrom::Http.name(), SeenFrom::Http.peer()), ("self", "http", None));
    }
}
