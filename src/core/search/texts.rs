//! The text fuzzy search looks in, per lead: one contiguous arena of case-folded bytes with a
//! span and a character mask per row, so a keystroke scans memory in order.
//!
//! The searched text is "name · email · account · title" (sanitised, as the console shows
//! it), case-folded one character for one character, so a matched character's position in
//! the folded text is its position in the shown text.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::core::model::{Lead, LeadId};
use crate::core::text::sanitize;

/// The mask bit set when a text holds a character outside ASCII.
const NON_ASCII_BIT: u64 = 1 << 63;

/// "name · email · account · title" of a lead, sanitised and trimmed, empty parts left out:
/// what the console shows for a search hit.
pub fn lead_text(lead: &Lead) -> String {
    [&lead.name, &lead.email, &lead.account, &lead.title]
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| sanitize(s.trim()).into_owned())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// `text` in lower case, one character for one character: a character whose lower case is
/// several characters (such as `İ`) is kept as it is, so positions do not move.
pub fn fold_case(text: &str) -> String {
    if !text.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_ascii() {
                return c.to_ascii_lowercase();
            }
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        })
        .collect()
}

/// The bit of one byte in a character mask: letters and digits one bit each, a few
/// separators their own, other ASCII punctuation shared, any byte of a non-ASCII character
/// [`NON_ASCII_BIT`].
fn byte_bit(b: u8) -> u64 {
    let slot = match b {
        b'a'..=b'z' => b - b'a',
        b'A'..=b'Z' => b - b'A',
        b'0'..=b'9' => 26 + (b - b'0'),
        b' ' => 36,
        b'@' => 37,
        b'.' => 38,
        b'-' => 39,
        b'_' => 40,
        0x80.. => return NON_ASCII_BIT,
        _ => 41 + b % 16,
    };
    1 << slot
}

/// Which characters `text` holds, as a bit set: a text can only contain a query's
/// characters in order if its mask has every bit of the query's mask.
pub fn char_mask(text: &[u8]) -> u64 {
    text.iter().fold(0, |m, &b| m | byte_bit(b))
}

/// A fresh stamp: every change of any corpus gets one, so a search result can tell whether
/// the texts it was computed from are still the same.
fn next_stamp() -> u64 {
    static STAMPS: AtomicU64 = AtomicU64::new(1);
    STAMPS.fetch_add(1, Ordering::Relaxed)
}

/// A lead's search text ("name · email · account · title") is about 95 bytes in a demo
/// book; [`SearchTexts::reserve`] makes room for this many per row.
const TYPICAL_TEXT_BYTES: usize = 96;

/// Every lead's case-folded search text, by index row.
#[derive(Clone, Debug)]
pub struct SearchTexts {
    bytes: Vec<u8>,
    /// Start and length in `bytes`, per row.
    spans: Vec<(u32, u32)>,
    masks: Vec<u64>,
    /// Bytes no row points at any more (texts replaced by longer ones).
    garbage: usize,
    stamp: u64,
    last_id: Option<LeadId>,
    /// Whether rows are in increasing id order (ties between equal scores then end a scan).
    ids_ascending: bool,
}

impl Default for SearchTexts {
    fn default() -> Self {
        SearchTexts {
            bytes: Vec::new(),
            spans: Vec::new(),
            masks: Vec::new(),
            garbage: 0,
            stamp: next_stamp(),
            last_id: None,
            ids_ascending: true,
        }
    }
}

impl SearchTexts {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Changes whenever a row is added or a text changes.
    pub fn stamp(&self) -> u64 {
        self.stamp
    }

    /// Whether the rows were added in increasing lead id order.
    pub fn ids_ascending(&self) -> bool {
        self.ids_ascending
    }

    /// The folded text of `row` (panics when `row` is out of range).
    pub fn text(&self, row: usize) -> &str {
        // Spans only ever cover whole texts copied from `&str`s.
        std::str::from_utf8(self.bytes(row)).unwrap_or_default()
    }

    pub fn bytes(&self, row: usize) -> &[u8] {
        let (start, len) = self.spans[row];
        &self.bytes[start as usize..start as usize + len as usize]
    }

    pub fn mask(&self, row: usize) -> u64 {
        self.masks[row]
    }

    /// Makes room for `rows` more texts of a typical length.
    pub fn reserve(&mut self, rows: usize) {
        self.spans.reserve(rows);
        self.masks.reserve(rows);
        self.bytes.reserve(rows.saturating_mul(TYPICAL_TEXT_BYTES));
    }

    /// Adds a row for lead `id` with a folded `text` (see [`SearchTexts::set`]).
    pub fn push(&mut self, id: LeadId, text: &str) {
        self.ids_ascending &= self.last_id.is_none_or(|last| id > last);
        self.last_id = Some(id);
        self.spans.push((0, 0));
        self.masks.push(0);
        self.set(self.spans.len() - 1, text);
        self.stamp = next_stamp();
    }

    /// Replaces the text of `row` with a folded `text` (ASCII upper case is folded here if
    /// left in). A corpus past 4 GiB of text leaves the new text unsearchable rather than fail.
    pub fn set(&mut self, row: usize, text: &str) {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.set(row, &fold_case(text));
        }
        if self.bytes(row) == text.as_bytes() {
            return;
        }
        self.stamp = next_stamp();
        let (start, old_len) = self.spans[row];
        let len = text.len();
        self.masks[row] = char_mask(text.as_bytes());
        if len <= old_len as usize {
            let at = start as usize;
            self.bytes[at..at + len].copy_from_slice(text.as_bytes());
            self.garbage += old_len as usize - len;
            self.spans[row] = (start, len as u32);
            return;
        }
        self.garbage += old_len as usize;
        if self.garbage > self.bytes.len() / 2 && self.garbage > 1 << 20 {
            self.spans[row] = (0, 0);
            self.compact();
        }
        match (u32::try_from(self.bytes.len()), u32::try_from(len)) {
            (Ok(start), Ok(len32)) if start.checked_add(len32).is_some() => {
                self.bytes.extend_from_slice(text.as_bytes());
                self.spans[row] = (start, len32);
            }
            _ => {
                self.spans[row] = (0, 0);
                self.masks[row] = 0;
            }
        }
    }

    /// Rewrites the arena in row order without the replaced texts.
    fn compact(&mut self) {
        let mut bytes = Vec::with_capacity(self.bytes.len() - self.garbage);
        for span in &mut self.spans {
            let (start, len) = (span.0 as usize, span.1 as usize);
            *span = (bytes.len() as u32, span.1);
            bytes.extend_from_slice(&self.bytes[start..start + len]);
        }
        self.bytes = bytes;
        self.garbage = 0;
    }

    /// Bytes held on the heap (allocator overhead excluded).
    pub fn memory_bytes(&self) -> usize {
        self.bytes.capacity() + self.spans.capacity() * 8 + self.masks.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_every_character_in_its_place() {
        assert_eq!(fold_case("Ana RUIZ · ana@X.io"), "ana ruiz · ana@x.io");
        assert_eq!(fold_case("ÉLODIE Σ"), "élodie σ");
        let odd = "İstanbul";
        assert_eq!(fold_case(odd).chars().count(), odd.chars().count());
    }

    #[test]
    fn replaced_texts_are_found_and_rows_keep_their_own() {
        let mut t = SearchTexts::default();
        t.push(1, "ana ruiz");
        t.push(2, "bo");
        let before = t.stamp();
        t.set(0, "ana");
        t.set(1, "a much longer text than before");
        assert_ne!(t.stamp(), before);
        assert_eq!(
            (t.text(0), t.text(1)),
            ("ana", "a much longer text than before")
        );
        let same = t.stamp();
        t.set(0, "ana");
        assert_eq!(t.stamp(), same, "an unchanged text is not a change");
        t.compact();
        assert_eq!(
            (t.text(0), t.text(1)),
            ("ana", "a much longer text than before")
        );
        assert!(t.ids_ascending());
        t.push(1, "again");
        assert!(!t.ids_ascending());
    }

    #[test]
    fn a_mask_has_every_character_of_its_text() {
        let text = char_mask("josé · a.b@c-d_9".as_bytes());
        for q in ["jos", "é", "a.b@c-d_9", " "] {
            let q = char_mask(q.as_bytes());
            assert_eq!(q & !text, 0);
        }
        assert_ne!(char_mask(b"z") & !text, 0);
        assert_eq!(char_mask(b"abc") & NON_ASCII_BIT, 0);
    }
}
