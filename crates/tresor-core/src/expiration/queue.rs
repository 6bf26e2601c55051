//! The deadline-ordered queue of leases: the next expiry is the first element, a renewal
//! moves a lease in O(log n). Memory only; storage is the source of truth.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Queue {
    by_deadline: BTreeSet<(i64, Arc<str>)>,
    deadline_of: HashMap<Arc<str>, i64>,
}

impl Queue {
    /// Schedules `id` to expire at `at` (Unix seconds), replacing any earlier schedule.
    /// True when this is now the earliest deadline (the waiting task must wake). A lease
    /// that never expires (`at` 0) is not queued.
    pub fn schedule(&mut self, id: &str, at: i64) -> bool {
        self.cancel(id);
        if at == 0 {
            return false;
        }
        let id: Arc<str> = Arc::from(id);
        self.deadline_of.insert(id.clone(), at);
        self.by_deadline.insert((at, id));
        self.next_deadline() == Some(at)
    }

    pub fn cancel(&mut self, id: &str) {
        if let Some((key, at)) = self.deadline_of.remove_entry(id) {
            self.by_deadline.remove(&(at, key));
        }
    }

    pub fn next_deadline(&self) -> Option<i64> {
        self.by_deadline.first().map(|(at, _)| *at)
    }

    /// Removes and returns up to `max` leases due at `now`, earliest first.
    pub fn take_due(&mut self, now: i64, max: usize) -> Vec<Arc<str>> {
        let mut due = Vec::new();
        while due.len() < max {
            match self.by_deadline.first() {
                Some((at, _)) if *at <= now => {}
                _ => break,
            }
            if let Some((_, id)) = self.by_deadline.pop_first() {
                self.deadline_of.remove(&id);
                due.push(id);
            }
        }
        due
    }

    pub fn len(&self) -> usize {
        self.deadline_of.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_leases_come_out_in_deadline_order() {
        let mut q = Queue::default();
        assert!(q.schedule("b", 20));
        assert!(q.schedule("a", 10), "an earlier deadline wakes the task");
        assert!(!q.schedule("c", 30));
        assert_eq!(q.next_deadline(), Some(10));
        assert!(q.take_due(9, 10).is_empty());
        let due: Vec<String> = q.take_due(20, 10).iter().map(|s| s.to_string()).collect();
        assert_eq!(due, ["a", "b"]);
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn rescheduling_moves_a_lease_and_cancel_removes_it() {
        let mut q = Queue::default();
        q.schedule("a", 10);
        q.schedule("b", 15);
        q.schedule("a", 40);
        assert_eq!(q.len(), 2);
        assert_eq!(q.next_deadline(), Some(15));
        q.cancel("b");
        q.cancel("missing");
        assert_eq!(q.next_deadline(), Some(40));
        assert_eq!(q.take_due(100, 1).len(), 1);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn a_lease_without_expiry_is_never_due() {
        let mut q = Queue::default();
        assert!(!q.schedule("forever", 0));
        assert!(q.take_due(i64::MAX, 10).is_empty());
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn take_due_is_bounded() {
        let mut q = Queue::default();
        for i in 0..10 {
            q.schedule(&format!("l{i}"), i + 1);
        }
        assert_eq!(q.take_due(100, 4).len(), 4);
        assert_eq!(q.len(), 6);
    }
}
