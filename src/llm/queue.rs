//! Admission control for one shared model: at most `running` requests compute at once, at most
//! `waiting` wait for a turn, and none waits past its deadline.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::Error;

/// Limits of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Requests computing at the same time.
    pub running: usize,
    /// Requests allowed to wait for a turn; one more is refused at once.
    pub waiting: usize,
    /// Longest wait for a turn before the request fails with [`Error::Overloaded`].
    pub max_wait: Duration,
}

impl Default for QueueLimits {
    fn default() -> QueueLimits {
        QueueLimits {
            running: 1,
            waiting: 32,
            max_wait: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    running: usize,
    waiting: usize,
}

/// The queue, shared by every request to one model.
#[derive(Debug, Clone)]
pub struct Queue {
    limits: QueueLimits,
    state: Arc<(Mutex<Counts>, Condvar)>,
}

/// A place in line: turn it into a [`Slot`] with [`Ticket::wait`].
#[derive(Debug)]
pub struct Ticket {
    queue: Queue,
    deadline: Instant,
    admitted: bool,
}

/// The right to compute; freed when dropped.
#[derive(Debug)]
pub struct Slot {
    queue: Queue,
}

impl Queue {
    /// A queue with these limits (`running` of at least 1).
    pub fn new(limits: QueueLimits) -> Queue {
        Queue {
            limits: QueueLimits {
                running: limits.running.max(1),
                ..limits
            },
            state: Arc::default(),
        }
    }

    fn retry_after(&self) -> Duration {
        Duration::from_secs(self.limits.max_wait.as_secs().clamp(1, 30))
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        // The counts stay consistent even if a holder panicked: every update is one statement.
        self.state.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Joins the line, or fails at once with [`Error::Overloaded`] when it is full.
    pub fn enter(&self) -> Result<Ticket, Error> {
        let mut counts = self.counts();
        if counts.waiting >= self.limits.waiting {
            return Err(Error::Overloaded {
                retry_after: self.retry_after(),
            });
        }
        counts.waiting += 1;
        Ok(Ticket {
            queue: self.clone(),
            deadline: Instant::now() + self.limits.max_wait,
            admitted: false,
        })
    }

    /// Requests computing now and waiting now.
    pub fn load(&self) -> (usize, usize) {
        let c = self.counts();
        (c.running, c.waiting)
    }
}

impl Ticket {
    /// Waits for a turn until the deadline.
    pub fn wait(mut self) -> Result<Slot, Error> {
        let queue = self.queue.clone();
        let (_, condvar) = &*queue.state;
        let mut counts = queue.counts();
        loop {
            if counts.running < queue.limits.running {
                counts.running += 1;
                counts.waiting -= 1;
                self.admitted = true;
                drop(counts);
                return Ok(Slot { queue });
            }
            let now = Instant::now();
            if now >= self.deadline {
                // Dropping the ticket leaves the line.
                drop(counts);
                return Err(Error::Overloaded {
                    retry_after: queue.retry_after(),
                });
            }
            counts = condvar
                .wait_timeout(counts, self.deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.admitted {
            self.queue.counts().waiting -= 1;
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.queue.counts().running -= 1;
        self.queue.state.1.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(running: usize, waiting: usize, wait_ms: u64) -> Queue {
        Queue::new(QueueLimits {
            running,
            waiting,
            max_wait: Duration::from_millis(wait_ms),
        })
    }

    #[test]
    fn a_full_line_refuses_at_once_with_overloaded() {
        let q = queue(1, 1, 1000);
        let _first = q.enter().unwrap();
        assert!(matches!(q.enter(), Err(Error::Overloaded { .. })));
    }

    #[test]
    fn a_request_waiting_past_its_deadline_is_overloaded_and_leaves_the_line() {
        let q = queue(1, 4, 20);
        let slot = q.enter().unwrap().wait().unwrap();
        let late = q.enter().unwrap().wait();
        assert!(matches!(late, Err(Error::Overloaded { .. })));
        assert_eq!(q.load(), (1, 0));
        drop(slot);
        assert_eq!(q.load(), (0, 0));
    }

    #[test]
    fn a_freed_slot_goes_to_the_next_in_line() {
        let q = queue(1, 4, 5_000);
        let slot = q.enter().unwrap().wait().unwrap();
        let ticket = q.enter().unwrap();
        let waiter = std::thread::spawn(move || ticket.wait().map(|_| ()));
        std::thread::sleep(Duration::from_millis(20));
        drop(slot);
        assert!(waiter.join().unwrap().is_ok());
        assert_eq!(q.load(), (0, 0));
    }

    #[test]
    fn several_may_run_at_once_when_configured() {
        let q = queue(2, 4, 10);
        let a = q.enter().unwrap().wait().unwrap();
        let b = q.enter().unwrap().wait().unwrap();
        assert_eq!(q.load(), (2, 0));
        assert!(q.enter().unwrap().wait().is_err());
        drop((a, b));
    }
}
