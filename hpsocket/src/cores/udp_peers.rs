//! The UDP server's peer table: which remote address is which virtual connection, and when
//! each is due for its detect check. Sans-IO: addresses, IDs and millisecond times go in,
//! decisions come out; the worker owning the socket does the I/O and fires the events.
//!
//! Detection follows HP-Socket: every `interval` after a peer appears, a tick closes it when
//! `attempts` ticks in a row saw nothing from it, and otherwise counts one more silent tick;
//! any datagram from the peer (a 0-byte probe included) resets the count. A peer silent since
//! time `t` is therefore closed on the `attempts + 1`-th tick after `t`.
//!
//! Admission (ours): a peer is *confirmed* once a second datagram arrives from it
//! ([`PeerTable::received`] says when); the UDP server then keeps it over newcomers, and
//! evicts the oldest unconfirmed peer of any worker to admit one into a full table.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::SocketAddr;

use crate::types::ConnId;

/// Heartbeat detection settings (`DetectAttempts`, `DetectInterval`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Detect {
    pub attempts: u32,
    pub interval_ms: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Peer {
    pub addr: SocketAddr,
    /// Ticks in a row without a datagram.
    pub fails: u32,
    pub last_recv: u64,
    /// Datagrams received from it (saturating); 2 or more: confirmed.
    datagrams: u32,
    /// When the next tick is due (`u64::MAX` without detection).
    due: u64,
}

#[derive(Default)]
pub(crate) struct PeerTable {
    by_addr: HashMap<SocketAddr, ConnId>,
    peers: HashMap<ConnId, Peer>,
    /// (due, id); an entry whose peer is gone or due elsewhere is stale and skipped.
    timers: BinaryHeap<Reverse<(u64, ConnId)>>,
    detect: Option<Detect>,
}

impl PeerTable {
    /// `detect`: `None` (or zero attempts / interval) turns detection off.
    pub fn new(detect: Option<Detect>) -> PeerTable {
        PeerTable {
            detect: detect.filter(|d| d.attempts > 0 && d.interval_ms > 0),
            ..Default::default()
        }
    }

    pub fn lookup(&self, addr: &SocketAddr) -> Option<ConnId> {
        self.by_addr.get(addr).copied()
    }

    pub fn get(&self, id: ConnId) -> Option<&Peer> {
        self.peers.get(&id)
    }

    #[cfg_attr(not(test), allow(dead_code))]
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    pub fn ids(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.peers.keys().copied()
    }

    /// Adds a peer seen at `now`. An address already present keeps its connection: the
    /// caller looks up first.
    pub fn insert(&mut self, id: ConnId, addr: SocketAddr, now: u64) -> bool {
        if self.by_addr.contains_key(&addr) || self.peers.contains_key(&id) {
            return false;
        }
        let due = match self.detect {
            Some(d) => now.saturating_add(d.interval_ms),
            None => u64::MAX,
        };
        if due != u64::MAX {
            self.timers.push(Reverse((due, id)));
        }
        self.by_addr.insert(addr, id);
        self.peers.insert(
            id,
            Peer {
                addr,
                fails: 0,
                last_recv: now,
                datagrams: 0,
                due,
            },
        );
        true
    }

    /// A datagram (of any kind) arrived from peer `id` at `now`; true when it is the one that
    /// confirms the peer (its second).
    pub fn received(&mut self, id: ConnId, now: u64) -> bool {
        let Some(p) = self.peers.get_mut(&id) else {
            return false;
        };
        p.fails = 0;
        p.last_recv = now;
        p.datagrams = p.datagrams.saturating_add(1);
        p.datagrams == 2
    }

    pub fn remove(&mut self, id: ConnId) -> Option<Peer> {
        let p = self.peers.remove(&id)?;
        self.by_addr.remove(&p.addr);
        Some(p)
    }

    /// When the next detect tick is due, if any (may be a stale entry: harmless, `expire`
    /// skips it).
    pub fn next_due(&self) -> Option<u64> {
        self.timers.peek().map(|Reverse((due, _))| *due)
    }

    /// Runs every tick due by `now`; returns the peers found dead, already removed.
    pub fn expire(&mut self, now: u64) -> Vec<(ConnId, Peer)> {
        let mut dead = Vec::new();
        let Some(d) = self.detect else {
            return dead;
        };
        while let Some(&Reverse((due, id))) = self.timers.peek() {
            if due > now {
                break;
            }
            self.timers.pop();
            let Some(p) = self.peers.get_mut(&id) else {
                continue;
            };
            if p.due != due {
                continue;
            }
            if p.fails >= d.attempts {
                let p = self.remove(id).expect("present");
                dead.push((id, p));
            } else {
                p.fails += 1;
                p.due = due.saturating_add(d.interval_ms);
                self.timers.push(Reverse((p.due, id)));
            }
        }
        dead
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn addr(i: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 10_000 + i))
    }

    fn id(i: usize) -> ConnId {
        ConnId::new(i).unwrap()
    }

    #[test]
    fn a_silent_peer_dies_on_the_attempts_plus_one_th_tick() {
        let mut t = PeerTable::new(Some(Detect {
            attempts: 3,
            interval_ms: 100,
        }));
        assert!(t.insert(id(1), addr(1), 0));
        assert!(!t.insert(id(2), addr(1), 0), "one connection per address");
        for now in [100, 200, 300] {
            assert!(t.expire(now).is_empty(), "{now}");
        }
        let dead = t.expire(400);
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].1.addr, addr(1));
        assert_eq!(t.lookup(&addr(1)), None);
        assert_eq!(t.next_due(), None);
    }

    #[test]
    fn traffic_keeps_a_peer_alive_and_no_detection_never_expires() {
        let mut t = PeerTable::new(Some(Detect {
            attempts: 1,
            interval_ms: 50,
        }));
        t.insert(id(1), addr(1), 0);
        for now in (10..10_000).step_by(40) {
            let _ = t.received(id(1), now);
            assert!(t.expire(now).is_empty());
        }
        let mut off = PeerTable::new(Some(Detect {
            attempts: 0,
            interval_ms: 50,
        }));
        off.insert(id(1), addr(1), 0);
        assert!(off.expire(u64::MAX - 1).is_empty());
        assert_eq!(off.next_due(), None);
    }

    #[test]
    fn the_second_datagram_confirms_a_peer_once() {
        let mut t = PeerTable::new(None);
        t.insert(id(1), addr(1), 0);
        assert!(!t.received(id(1), 0), "the admitting datagram");
        assert!(t.received(id(1), 1));
        assert!(!t.received(id(1), 2), "confirmed once");
        assert!(!t.received(id(9), 2), "unknown peer");
    }

    #[derive(Clone, Debug)]
    enum Op {
        Add(u16),
        Recv(u16),
        Remove(u16),
        Advance(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u16..20).prop_map(Op::Add),
            (0u16..20).prop_map(Op::Recv),
            (0u16..20).prop_map(Op::Remove),
            (0u64..250).prop_map(Op::Advance),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Against a naive model that replays every tick of every peer: the same peers die at
        /// the same times, addresses and IDs stay a bijection, nothing else is lost.
        #[test]
        fn matches_a_naive_model(
            attempts in 0u32..4,
            interval in 1u64..100,
            ops in proptest::collection::vec(op(), 1..200),
        ) {
            let detect = Detect { attempts, interval_ms: interval };
            let mut t = PeerTable::new(Some(detect));
            // model: addr index -> (id, inserted_at, last_recv, fails, ticks_done)
            let mut model: HashMap<u16, (ConnId, u64, u64)> = HashMap::new();
            let mut now = 0u64;
            let mut next_id = 1usize;
            for o in ops {
                match o {
                    Op::Add(a) => {
                        if t.lookup(&addr(a)).is_none() {
                            prop_assert!(!model.contains_key(&a));
                            let i = id(next_id);
                            next_id += 1;
                            prop_assert!(t.insert(i, addr(a), now));
                            model.insert(a, (i, now, now));
                        }
                    }
                    Op::Recv(a) => {
                        if let Some(m) = model.get_mut(&a) {
                            let _ = t.received(m.0, now);
                            m.2 = now;
                        }
                    }
                    Op::Remove(a) => {
                        if let Some(m) = model.remove(&a) {
                            prop_assert!(t.remove(m.0).is_some());
                        }
                    }
                    Op::Advance(dt) => {
                        now += dt;
                        let mut dead: Vec<ConnId> =
                            t.expire(now).into_iter().map(|(i, _)| i).collect();
                        dead.sort();
                        // Model: ticks at inserted + k*interval; dead at the (attempts+1)-th
                        // tick strictly after the last receive.
                        let mut want = Vec::new();
                        if attempts > 0 {
                            model.retain(|_, &mut (i, at, last)| {
                                let first_after = if last < at + interval {
                                    at + interval
                                } else {
                                    at + ((last - at) / interval + 1) * interval
                                };
                                let death = first_after + attempts as u64 * interval;
                                if death <= now {
                                    want.push(i);
                                    false
                                } else {
                                    true
                                }
                            });
                        }
                        want.sort();
                        prop_assert_eq!(dead, want);
                    }
                }
                prop_assert_eq!(t.len(), model.len());
                for (a, m) in &model {
                    prop_assert_eq!(t.lookup(&addr(*a)), Some(m.0));
                    prop_assert_eq!(t.get(m.0).map(|p| p.addr), Some(addr(*a)));
                }
            }
        }
    }
}
