//! From token ids to text a customer can read while it streams: each token's raw bytes, UTF-8
//! reassembled across tokens, and stop strings matched across token boundaries.

use tokenizers::{DecoderWrapper, Tokenizer};

/// The raw bytes each token id stands for; control tokens (`<|im_end|>`) stand for none.
pub fn token_bytes(tokenizer: &Tokenizer) -> Vec<Vec<u8>> {
    let vocab = tokenizer.get_vocab(true);
    let size = vocab.values().map(|&id| id as usize + 1).max().unwrap_or(0);
    let mut pieces = vec![String::new(); size];
    for (piece, id) in vocab {
        pieces[id as usize] = piece;
    }
    let byte_level = match tokenizer.get_decoder() {
        Some(DecoderWrapper::ByteLevel(_)) => true,
        Some(DecoderWrapper::Metaspace(_)) => false,
        // Sequences and others: byte-level vocabularies spell a space as 'Ġ'.
        _ => pieces.iter().any(|p| p.starts_with('\u{120}')),
    };
    let special: Vec<u32> = tokenizer
        .get_added_tokens_decoder()
        .into_iter()
        .filter(|(_, t)| t.special)
        .map(|(id, _)| id)
        .collect();
    let unicode_to_byte = byte_level.then(unicode_to_byte);
    let mut bytes: Vec<Vec<u8>> = pieces
        .iter()
        .map(|piece| match &unicode_to_byte {
            Some(table) => piece
                .chars()
                .map(|c| table.get(c as usize).copied().flatten())
                .collect::<Option<Vec<u8>>>()
                .unwrap_or_else(|| piece.as_bytes().to_vec()),
            None => sentencepiece_bytes(piece),
        })
        .collect();
    for id in special {
        if let Some(b) = bytes.get_mut(id as usize) {
            b.clear();
        }
    }
    bytes
}

/// GPT-2's reversible byte-to-character table: how byte-level BPE vocabularies spell each byte
/// (printable bytes as themselves, the others as characters from U+0100 on; a space is 'Ġ').
pub fn byte_level_chars() -> [char; 256] {
    let mut chars = ['\0'; 256];
    let mut next = 256u32;
    for b in 0..=255u8 {
        let code = if matches!(b, 33..=126 | 161..=172 | 174..=255) {
            b as u32
        } else {
            next += 1;
            next - 1
        };
        chars[b as usize] = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
    }
    chars
}

/// [`byte_level_chars`] inverted: index by char code, get the byte.
fn unicode_to_byte() -> Vec<Option<u8>> {
    let mut table = vec![None; 512];
    for (b, c) in byte_level_chars().into_iter().enumerate() {
        table[c as usize] = Some(b as u8);
    }
    table
}

/// SentencePiece spells a space as '▁' and unknown bytes as `<0xNN>`.
fn sentencepiece_bytes(piece: &str) -> Vec<u8> {
    if let Some(hex) = piece
        .strip_prefix("<0x")
        .and_then(|rest| rest.strip_suffix('>'))
        && hex.len() == 2
        && let Ok(b) = u8::from_str_radix(hex, 16)
    {
        return vec![b];
    }
    piece.replace('\u{2581}', " ").into_bytes()
}

/// Turns a stream of token bytes into text deltas: never half a character, never any part of a
/// stop string.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    pending: Vec<u8>,
    held: String,
    stops: Vec<String>,
}

/// What one push produced.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Text safe to show now.
    pub text: String,
    /// A stop string was reached; nothing after it may be shown.
    pub stopped: bool,
}

impl StreamDecoder {
    /// A decoder that ends at the first of `stops` (empty strings are ignored).
    pub fn new(stops: &[String]) -> StreamDecoder {
        StreamDecoder {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            ..StreamDecoder::default()
        }
    }

    /// Adds a token's bytes.
    pub fn push(&mut self, bytes: &[u8]) -> Decoded {
        self.pending.extend_from_slice(bytes);
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    self.held.push_str(s);
                    self.pending.clear();
                    break;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    // The prefix is valid UTF-8 by the error's own account.
                    self.held
                        .push_str(&String::from_utf8_lossy(&self.pending[..valid]));
                    match e.error_len() {
                        // An incomplete character at the end: wait for the next token.
                        None => {
                            self.pending.drain(..valid);
                            break;
                        }
                        // Bytes that can never be UTF-8: show a replacement character.
                        Some(bad) => {
                            self.held.push(char::REPLACEMENT_CHARACTER);
                            self.pending.drain(..valid + bad);
                        }
                    }
                }
            }
        }
        self.release()
    }

    fn release(&mut self) -> Decoded {
        let earliest = self
            .stops
            .iter()
            .filter_map(|s| self.held.find(s.as_str()))
            .min();
        if let Some(at) = earliest {
            let text = self.held[..at].to_string();
            self.held.clear();
            return Decoded {
                text,
                stopped: true,
            };
        }
        // Keep back the longest tail that could still grow into a stop string.
        let keep = self
            .stops
            .iter()
            .flat_map(|s| {
                s.char_indices()
                    .skip(1)
                    .map(|(i, _)| i)
                    .filter(|&i| self.held.ends_with(&s[..i]))
            })
            .max()
            .unwrap_or(0);
        let cut = self.held.len() - keep;
        let text = self.held[..cut].to_string();
        self.held.drain(..cut);
        Decoded {
            text,
            stopped: false,
        }
    }

    /// Whatever is left at the end of generation (a held-back partial stop string, or an
    /// incomplete character shown as a replacement).
    pub fn finish(&mut self) -> String {
        let mut text = std::mem::take(&mut self.held);
        if !self.pending.is_empty() {
            text.push_str(&String::from_utf8_lossy(&self.pending));
            self.pending.clear();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(decoder: &mut StreamDecoder, chunks: &[&[u8]]) -> (String, bool) {
        let mut out = String::new();
        for c in chunks {
            let d = decoder.push(c);
            out.push_str(&d.text);
            if d.stopped {
                return (out, true);
            }
        }
        out.push_str(&decoder.finish());
        (out, false)
    }

    #[test]
    fn a_rupee_sign_split_over_tokens_never_shows_garbage() {
        let rupee = "₹".as_bytes();
        let mut d = StreamDecoder::new(&[]);
        let first = d.push(b"Only ");
        assert_eq!(first.text, "Only ");
        let partial = d.push(&rupee[..1]);
        assert_eq!(partial.text, "", "half a character must wait");
        let rest = d.push(&[&rupee[1..], b"499".as_slice()].concat());
        assert_eq!(rest.text, "₹499");
    }

    #[test]
    fn invalid_bytes_become_replacement_characters_and_decoding_goes_on() {
        let mut d = StreamDecoder::new(&[]);
        assert_eq!(d.push(b"a\xffb").text, "a\u{fffd}b");
    }

    #[test]
    fn stop_strings_match_across_tokens_and_are_not_shown() {
        let stops = vec!["\nCustomer:".to_string()];
        let mut d = StreamDecoder::new(&stops);
        let (out, stopped) = run(&mut d, &[b"Sure.", b"\nCust", b"omer", b": hi"]);
        assert_eq!(out, "Sure.");
        assert!(stopped);
    }

    #[test]
    fn a_partial_stop_string_that_does_not_complete_is_released() {
        let stops = vec!["</answer>".to_string()];
        let mut d = StreamDecoder::new(&stops);
        let held = d.push(b"a </an");
        assert_eq!(held.text, "a ");
        let (out, stopped) = run(&mut d, &[b"d more"]);
        assert_eq!(out, "</and more");
        assert!(!stopped);
    }

    #[test]
    fn the_earliest_of_several_stop_strings_wins() {
        let stops = vec!["END".to_string(), "\n\n".to_string()];
        let mut d = StreamDecoder::new(&stops);
        let (out, stopped) = run(&mut d, &[b"one\n\ntwo END"]);
        assert_eq!((out.as_str(), stopped), ("one", true));
    }

    #[test]
    fn byte_level_table_round_trips_every_byte() {
        let table = unicode_to_byte();
        let mapped = table.iter().filter(|b| b.is_some()).count();
        assert_eq!(mapped, 256);
        assert_eq!(table['\u{120}' as usize], Some(b' '));
        assert_eq!(table['\u{10a}' as usize], Some(b'\n'));
        assert_eq!(table['a' as usize], Some(b'a'));
    }

    #[test]
    fn sentencepiece_pieces_decode_spaces_and_byte_fallbacks() {
        assert_eq!(sentencepiece_bytes("\u{2581}camera"), b" camera");
        assert_eq!(sentencepiece_bytes("<0xE2>"), vec![0xE2]);
    }
}
