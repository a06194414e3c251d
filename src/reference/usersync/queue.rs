//! The work queue of User Sync and its applied sequence.
//!
//! Every directory change (or rule change, retry, switch-on) is an event with a sequence
//! number. A worker expands an event into the users it may affect; each user becomes one
//! pending recompute, coalesced by user id (a user dirtied by ten events is recomputed once,
//! from current state, which is what makes the result order-safe). The *applied sequence* is
//! the highest `n` such that every event numbered `<= n` has been fully applied, so a client
//! that read `enqueued` after its change returned can wait for `applied >= enqueued` instead of
//! polling for the effect. The lock here is held only to move ids between collections, never
//! during a recompute.

use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;
use tokio::sync::{Notify, watch};
use uuid::Uuid;

/// Something that may change users' sync results.
#[derive(Debug, Clone)]
pub enum Event {
    /// Recompute exactly these users.
    Users(Vec<Uuid>),
    /// Recompute every user under these ids: a user id is itself, a group id is every user
    /// reachable through its (nested) members.
    Under(Vec<Uuid>),
    /// Recompute every user (turning the switch on).
    All,
}

/// Work handed to a worker.
#[derive(Debug)]
pub enum Work {
    Expand(u64, Event),
    /// Users with the sequence numbers each recompute settles.
    Users(Vec<(Uuid, Vec<u64>)>),
}

#[derive(Debug, Default)]
struct Slot {
    seqs: Vec<u64>,
    /// Sequence numbers that arrived while the user was being recomputed: they need one more.
    again: Vec<u64>,
    running: bool,
}

#[derive(Debug, Default)]
struct State {
    last_seq: u64,
    /// Units of work still open per sequence number (1 for the expansion, 1 per user).
    outstanding: BTreeMap<u64, u32>,
    events: VecDeque<(u64, Event)>,
    ready: VecDeque<Uuid>,
    slots: HashMap<Uuid, Slot>,
}

impl State {
    fn applied(&self) -> u64 {
        self.outstanding
            .keys()
            .next()
            .map_or(self.last_seq, |first| first - 1)
    }

    fn settle(&mut self, seq: u64) {
        if let Some(n) = self.outstanding.get_mut(&seq) {
            *n -= 1;
            if *n == 0 {
                self.outstanding.remove(&seq);
            }
        }
    }
}

/// The queue shared by the store's observer (producer) and the workers (consumers).
#[derive(Debug)]
pub struct WorkQueue {
    state: Mutex<State>,
    notify: Notify,
    applied: watch::Sender<u64>,
    batch: usize,
}

impl WorkQueue {
    /// `batch` is the most users one worker takes at once.
    pub fn new(batch: usize) -> WorkQueue {
        WorkQueue {
            state: Mutex::new(State::default()),
            notify: Notify::new(),
            applied: watch::channel(0).0,
            batch: batch.max(1),
        }
    }

    /// Enqueues an event; returns its sequence number.
    pub fn submit(&self, event: Event) -> u64 {
        let seq = {
            let mut st = self.state.lock();
            st.last_seq += 1;
            let seq = st.last_seq;
            st.outstanding.insert(seq, 1);
            st.events.push_back((seq, event));
            seq
        };
        self.notify.notify_one();
        seq
    }

    /// The last sequence number handed out.
    pub fn enqueued(&self) -> u64 {
        self.state.lock().last_seq
    }

    /// Every event numbered up to this one has been applied.
    pub fn applied(&self) -> u64 {
        *self.applied.borrow()
    }

    /// Pending work: (events not yet expanded, users waiting or running).
    pub fn backlog(&self) -> (usize, usize) {
        let st = self.state.lock();
        (st.events.len(), st.slots.len())
    }

    /// Waits until `applied >= seq` or the timeout passes; returns whether it was reached.
    pub async fn wait_for(&self, seq: u64, timeout: Duration) -> bool {
        let mut rx = self.applied.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|a| *a >= seq))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    fn publish(&self, st: &State) {
        let a = st.applied();
        self.applied.send_if_modified(|cur| {
            if a > *cur {
                *cur = a;
                true
            } else {
                false
            }
        });
    }

    /// Takes the next work item, waiting for one. Users first, in batches, so a long
    /// expansion never starves the users already waiting; events when no user is ready.
    pub async fn next(&self) -> Work {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(w) = self.try_next() {
                return w;
            }
            notified.await;
        }
    }

    fn try_next(&self) -> Option<Work> {
        let mut st = self.state.lock();
        let work = if !st.ready.is_empty() {
            let n = st.ready.len().min(self.batch);
            let mut batch = Vec::with_capacity(n);
            for _ in 0..n {
                let Some(u) = st.ready.pop_front() else { break };
                if let Some(slot) = st.slots.get_mut(&u) {
                    slot.running = true;
                    batch.push((u, std::mem::take(&mut slot.seqs)));
                }
            }
            Work::Users(batch)
        } else {
            let (seq, ev) = st.events.pop_front()?;
            Work::Expand(seq, ev)
        };
        let more = !st.ready.is_empty() || !st.events.is_empty();
        drop(st);
        if more {
            // Chain the wake-up so idle workers join in.
            self.notify.notify_one();
        }
        Some(work)
    }

    /// Adds the users an event expanded to, in chunks so the lock is never held long.
    pub fn add_users(&self, seq: u64, users: &[Uuid]) {
        for chunk in users.chunks(4096) {
            let mut st = self.state.lock();
            for u in chunk {
                let slot = st.slots.entry(*u).or_default();
                if slot.running {
                    slot.again.push(seq);
                } else {
                    let first = slot.seqs.is_empty();
                    slot.seqs.push(seq);
                    if first {
                        st.ready.push_back(*u);
                    }
                }
                *st.outstanding.entry(seq).or_insert(0) += 1;
            }
            drop(st);
            self.notify.notify_one();
        }
    }

    /// Closes the expansion unit of an event.
    pub fn expanded(&self, seq: u64) {
        let mut st = self.state.lock();
        st.settle(seq);
        self.publish(&st);
    }

    /// Marks users as recomputed; a user dirtied meanwhile goes back in the queue.
    pub fn done(&self, users: Vec<(Uuid, Vec<u64>)>) {
        let mut st = self.state.lock();
        let mut requeued = false;
        for (u, seqs) in users {
            for s in seqs {
                st.settle(s);
            }
            let again = match st.slots.get_mut(&u) {
                Some(slot) => {
                    slot.running = false;
                    std::mem::take(&mut slot.again)
                }
                None => Vec::new(),
            };
            if again.is_empty() {
                st.slots.remove(&u);
            } else {
                if let Some(slot) = st.slots.get_mut(&u) {
                    slot.seqs = again;
                }
                st.ready.push_back(u);
                requeued = true;
            }
        }
        self.publish(&st);
        drop(st);
        if requeued {
            self.notify.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn applied_advances_only_when_every_unit_is_done() {
        let q = WorkQueue::new(8);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let s1 = q.submit(Event::Users(vec![a, b]));
        let s2 = q.submit(Event::Users(vec![a]));
        let Work::Expand(seq, _) = q.next().await else {
            panic!("an event first")
        };
        q.add_users(seq, &[a, b]);
        q.expanded(seq);
        assert_eq!(q.applied(), 0);
        let Work::Users(batch) = q.next().await else {
            panic!("users before events")
        };
        assert_eq!(batch.len(), 2);
        // s2 arrives while `a` runs: it must be recomputed again.
        let Work::Expand(seq2, _) = q.next().await else {
            panic!("the second event")
        };
        q.add_users(seq2, &[a]);
        q.expanded(seq2);
        q.done(batch);
        assert_eq!(q.applied(), s1);
        let Work::Users(again) = q.next().await else {
            panic!("a again")
        };
        assert_eq!(again, vec![(a, vec![s2])]);
        q.done(again);
        assert_eq!(q.applied(), s2);
        assert!(q.wait_for(s2, Duration::from_millis(10)).await);
        assert!(!q.wait_for(s2 + 1, Duration::from_millis(10)).await);
    }
}
