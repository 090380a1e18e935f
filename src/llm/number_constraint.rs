//! Grounded numbers at the token level: "the model may only write numbers the facts hold".
//!
//! A reply's facts give the numbers it may state (prices, ratings, counts, specs). While a
//! model writes, every run of digits (with the `,` and `.` inside it) must be a prefix of one
//! of those numbers, and a run that ends must be one of them whole. Tokens that would break
//! this are never sampled, so a price, a rating or a model number that is not in the facts
//! cannot be written at all. Digit grouping is ignored (`1,299` and `1299` are the same
//! number); a `.` or `,` right after a number ends the sentence or clause, not the number.
//! Names are left to the sentence check in `dialogue::grounding`.

/// The numbers a reply may write, and the run of digits being written.
#[derive(Debug, Clone)]
pub struct NumberConstraint {
    /// Allowed numbers without grouping commas ("1299", "4.1").
    allowed: Vec<Vec<u8>>,
    /// The current run: digits, and `,`/`.` after a digit, as written.
    run: Vec<u8>,
}

fn normalise(number: &[u8]) -> Vec<u8> {
    number.iter().copied().filter(|b| *b != b',').collect()
}

impl NumberConstraint {
    /// A constraint allowing these numbers (as text: "₹1,299" and "1299" both allow 1299;
    /// anything but digits, `,` and `.` is ignored).
    pub fn new<S: AsRef<str>>(numbers: &[S]) -> NumberConstraint {
        let mut allowed: Vec<Vec<u8>> = numbers
            .iter()
            .map(|n| {
                let digits: Vec<u8> = n
                    .as_ref()
                    .bytes()
                    .filter(|b| b.is_ascii_digit() || *b == b'.' || *b == b',')
                    .collect();
                let trimmed =
                    digits
                        .iter()
                        .position(u8::is_ascii_digit)
                        .map_or(&digits[..0], |start| {
                            let end = digits.iter().rposition(u8::is_ascii_digit).unwrap_or(start);
                            &digits[start..=end]
                        });
                normalise(trimmed)
            })
            .filter(|n| !n.is_empty())
            .collect();
        allowed.sort();
        allowed.dedup();
        NumberConstraint {
            allowed,
            run: Vec::new(),
        }
    }

    fn is_prefix(&self, run: &[u8]) -> bool {
        let n = normalise(run);
        self.allowed.iter().any(|a| a.starts_with(&n))
    }

    fn is_whole(&self, run: &[u8]) -> bool {
        // "₹1,299." ends a sentence: the trailing mark is not part of the number.
        let end = run
            .iter()
            .rposition(u8::is_ascii_digit)
            .map_or(0, |i| i + 1);
        let n = normalise(&run[..end]);
        n.is_empty() || self.allowed.contains(&n)
    }

    /// Feeds bytes; returns false (leaving the state unchanged) when they would write a
    /// number the facts do not hold.
    pub fn push_bytes(&mut self, bytes: &[u8]) -> bool {
        let mut run = self.run.clone();
        for &b in bytes {
            let continues = b.is_ascii_digit()
                || ((b == b',' || b == b'.') && run.last().is_some_and(u8::is_ascii_digit));
            if continues {
                // A mark after a number either goes on inside an allowed one ("4.1",
                // "1,299") or ends it, and then the number before it must be whole.
                let whole_before = !b.is_ascii_digit() && self.is_whole(&run);
                run.push(b);
                if !self.is_prefix(&run) && !whole_before {
                    return false;
                }
            } else {
                if !run.is_empty() && !self.is_whole(&run) {
                    return false;
                }
                run.clear();
            }
        }
        self.run = run;
        true
    }

    /// Whether these bytes may come next (the state is not changed).
    pub fn accepts(&self, bytes: &[u8]) -> bool {
        self.clone().push_bytes(bytes)
    }

    /// Whether the text may end here (no number is left half-written).
    pub fn may_end(&self) -> bool {
        self.run.is_empty() || self.is_whole(&self.run)
    }

    /// The fewest digits still needed to finish the number being written (0 when none is
    /// half-written). A tokenizer that splits digits (as llama-family ones do) writes at most
    /// one per token, so this bounds the tokens a number needs.
    pub fn digits_to_finish(&self) -> usize {
        if self.may_end() {
            return 0;
        }
        let n = normalise(&self.run);
        let written = n.iter().filter(|b| b.is_ascii_digit()).count();
        self.allowed
            .iter()
            .filter(|a| a.starts_with(&n))
            .map(|a| a.iter().filter(|b| b.is_ascii_digit()).count() - written)
            .min()
            .unwrap_or(usize::MAX)
    }

    /// Whether these bytes may come next with at most `tokens_left` tokens after them: a
    /// number they start or continue must be finishable in that many.
    pub fn accepts_within(&self, bytes: &[u8], tokens_left: usize) -> bool {
        let mut next = self.clone();
        next.push_bytes(bytes) && next.digits_to_finish() <= tokens_left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writes(c: &NumberConstraint, text: &str) -> bool {
        let mut c = c.clone();
        c.push_bytes(text.as_bytes()) && c.may_end()
    }

    #[test]
    fn only_the_facts_numbers_can_be_written() {
        let c = NumberConstraint::new(&["₹1,299", "4.1", "72563", "IPX5"]);
        assert!(writes(&c, "It costs ₹1,299, rated 4.1 by 72,563 shoppers."));
        assert!(writes(&c, "It costs ₹1299."));
        assert!(writes(&c, "Rated IPX5 for the gym."));
        assert!(writes(&c, "No numbers at all, just words."));
        assert!(!writes(&c, "It costs ₹1,199."), "another price");
        assert!(!writes(&c, "rated 4.5"), "another rating");
        assert!(
            !writes(&c, "It costs ₹12 more"),
            "a prefix that ends is not a fact"
        );
        assert!(!writes(&c, "an A-1300 adapter"));
    }

    #[test]
    fn tokens_are_checked_as_they_come() {
        let mut c = NumberConstraint::new(&["1,299"]);
        assert!(c.push_bytes(b"costs 1"));
        assert!(c.accepts(b",2"));
        assert!(!c.accepts(b"5"));
        assert!(c.push_bytes(b",29"));
        assert!(!c.may_end());
        assert!(!c.accepts(b" more"), "1,29 is no fact");
        assert!(!c.accepts(b"."), "1,29. is neither a fact nor its start");
        assert!(c.push_bytes(b"9 "));
        assert!(c.may_end());
    }

    #[test]
    fn a_number_is_only_started_when_it_can_be_finished() {
        let mut c = NumberConstraint::new(&["24,269", "4.1"]);
        assert!(c.push_bytes(b"rated "));
        assert!(c.accepts_within(b"4", 2), "4.1 takes one more digit");
        assert!(!c.accepts_within(b"2", 3), "24269 takes four more");
        assert!(c.accepts_within(b"2", 4));
        assert!(c.accepts_within(b" by", 0), "no number, nothing to finish");
        assert!(c.push_bytes(b"24,2"));
        assert_eq!(c.digits_to_finish(), 2);
    }

    #[test]
    fn no_facts_means_no_numbers() {
        let c = NumberConstraint::new::<&str>(&[]);
        assert!(writes(&c, "Great choice!"));
        assert!(!writes(&c, "Only 2 left!"));
    }
}
