//! Cuts review text into clauses of normalised tokens.
//!
//! Review text in real catalogs is informal: sentences run together without a space
//! ("Charging is fine tooNo complains", "amazon.All other specs"), several reviews are joined
//! by commas, and one clause often carries one opinion. Opinions are scored per clause, so the
//! cuts matter more than perfect sentence detection.

/// Longest text looked at per review field. Real reviews are far shorter; the cap keeps one
/// pasted essay (or hostile input) from slowing down a whole catalog's analysis.
pub(crate) const MAX_CHARS: usize = 20_000;

/// How a clause was introduced, which changes how an opinion-less clause is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opener {
    /// Sentence start, comma, bracket...
    Plain,
    /// "but", "however", "although": the clause may turn against the previous one.
    Contrast,
    /// "except": whatever follows is the exception to the previous clause's verdict.
    Except,
}

/// A run of tokens between cuts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    /// Lowercase tokens, apostrophes removed ("doesn't" -> "doesnt"), hyphens split.
    pub tokens: Vec<String>,
    /// What introduced the clause.
    pub opener: Opener,
}

/// Connectives that start a new clause; the word itself is dropped.
fn connective(word: &str) -> Option<Opener> {
    match word {
        "but" | "however" | "although" | "though" | "whereas" | "otherwise" => {
            Some(Opener::Contrast)
        }
        "except" | "excepting" => Some(Opener::Except),
        _ => None,
    }
}

/// Symbols kept as tokens of their own because they carry meaning in reviews.
fn is_symbol_token(c: char) -> bool {
    matches!(
        c,
        '👍' | '👌'
            | '❤'
            | '😍'
            | '😊'
            | '🙂'
            | '👎'
            | '😡'
            | '😠'
            | '😞'
            | '😔'
            | '🔋'
            | '₹'
    )
}

struct Splitter {
    clauses: Vec<Clause>,
    tokens: Vec<String>,
    opener: Opener,
    word: String,
    lower_run: usize,
    upper_run: usize,
}

impl Splitter {
    fn flush_word(&mut self) {
        self.lower_run = 0;
        self.upper_run = 0;
        if self.word.is_empty() {
            return;
        }
        let word = std::mem::take(&mut self.word);
        if let Some(opener) = connective(&word) {
            self.end_clause();
            self.opener = opener;
        } else {
            self.tokens.push(word);
        }
    }

    fn end_clause(&mut self) {
        self.flush_word();
        if !self.tokens.is_empty() {
            self.clauses.push(Clause {
                tokens: std::mem::take(&mut self.tokens),
                opener: self.opener,
            });
        }
        self.opener = Opener::Plain;
    }

    fn push_token(&mut self, token: &str) {
        self.flush_word();
        self.tokens.push(token.to_string());
    }
}

/// Splits `input` into clauses: at sentence punctuation, commas, brackets, spaced dashes,
/// line breaks, the connectives "but", "however", "except"..., and at a run-on where a
/// lowercase word runs into a capitalised one ("tooNo", "niceThe", "GBDon't").
pub(crate) fn clauses(input: &str) -> Vec<Clause> {
    let chars: Vec<char> = input.chars().take(MAX_CHARS).collect();
    let mut s = Splitter {
        clauses: Vec::new(),
        tokens: Vec::new(),
        opener: Opener::Plain,
        word: String::new(),
        lower_run: 0,
        upper_run: 0,
    };
    let at = |i: usize| chars.get(i).copied();
    let is_lower = |c: Option<char>| c.is_some_and(char::is_lowercase);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(at);
        let next = at(i + 1);
        if c.is_alphanumeric() {
            // A capital followed by lowercase after two or more lowercase letters starts a
            // new sentence that lost its space ("tooNo"); one lowercase letter is a brand
            // ("iPhone"). After a capital run ("GBDon't") demand two lowercase letters so
            // that plurals of acronyms ("LEDs") stay whole.
            if c.is_uppercase()
                && is_lower(next)
                && (s.lower_run >= 2 || (s.upper_run >= 2 && is_lower(at(i + 2))))
            {
                s.end_clause();
            }
            // "product2)", "5000mAh", "nice4": numbers glued to words hide the words.
            if s.word
                .chars()
                .last()
                .is_some_and(|l| l.is_numeric() != c.is_numeric())
            {
                s.flush_word();
            }
            s.word.extend(c.to_lowercase());
            if c.is_lowercase() {
                s.lower_run += 1;
                s.upper_run = 0;
            } else if c.is_uppercase() {
                s.upper_run += 1;
                s.lower_run = 0;
            } else {
                s.lower_run = 0;
                s.upper_run = 0;
            }
            continue;
        }
        match c {
            // Apostrophes join ("doesn't" -> "doesnt") so the lexicon needs one spelling.
            '\'' | '’' | '‘' | '`' if !s.word.is_empty() => {}
            '.' if prev.is_some_and(|p| p.is_ascii_digit())
                && next.is_some_and(|n| n.is_ascii_digit()) =>
            {
                s.flush_word();
            }
            '.' | '!' | '?' | ';' | ',' | '(' | ')' | '[' | ']' | '{' | '}' | '\n' | '\r' | '|'
            | '•' | '…' | '–' | '—' => s.end_clause(),
            '-' => {
                let spaced =
                    prev.is_none_or(char::is_whitespace) && next.is_none_or(char::is_whitespace);
                if spaced || prev == Some('-') || next == Some('-') {
                    s.end_clause();
                } else {
                    s.flush_word();
                }
            }
            '&' | '+' => s.push_token("and"),
            c if is_symbol_token(c) => {
                let mut buf = [0u8; 4];
                s.push_token(c.encode_utf8(&mut buf));
            }
            _ => s.flush_word(),
        }
    }
    s.end_clause();
    s.clauses
}

/// Lowercase tokens of `input` ignoring clause cuts, for matching short phrases.
#[cfg(test)]
pub(crate) fn tokens(input: &str) -> Vec<String> {
    clauses(input).into_iter().flat_map(|c| c.tokens).collect()
}
