//! The journal's file format: how an entry is framed, and how a file is read back — whole
//! entries of the current epoch in order, a torn tail dropped, damage refused — in the
//! current layout and the older appended one (see the parent module for why it is so).

use super::{Entry, codec};

/// A frame longer than this is damage (no commit is near it).
const MAX_FRAME: u32 = 64 << 20;
/// "LQJ2": starts every frame. As a length it would be over `MAX_FRAME`, so a journal of the
/// older layout, which starts with a length, never begins with it.
pub(super) const MAGIC: u32 = u32::from_le_bytes(*MAGIC_BYTES);
const MAGIC_BYTES: &[u8; 4] = b"LQJ2";
/// Magic, length, checksum, epoch.
pub(super) const HEADER: usize = 20;

/// One entry as written: magic, length, checksum, epoch, payload.
pub(super) fn frame(entry: &Entry, epoch: u64) -> Vec<u8> {
    let payload = codec::encode(entry);
    let mut frame = Vec::with_capacity(payload.len() + HEADER);
    frame.extend_from_slice(&MAGIC.to_le_bytes());
    frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    frame.extend_from_slice(&checksum(epoch, &payload).to_le_bytes());
    frame.extend_from_slice(&epoch.to_le_bytes());
    frame.extend_from_slice(&payload);
    frame
}

fn checksum(epoch: u64, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&epoch.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// One entry in the older layout: length, checksum of the payload, payload.
pub(super) fn legacy_frame(entry: &Entry) -> Vec<u8> {
    let payload = codec::encode(entry);
    let mut frame = Vec::with_capacity(payload.len() + 8);
    frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    frame.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    frame.extend_from_slice(&payload);
    frame
}

/// What a journal file holds.
#[derive(Debug, PartialEq)]
pub(super) struct Contents {
    pub(super) entries: Vec<Entry>,
    /// The end of the last whole entry.
    pub(super) end: u64,
    pub(super) epoch: u64,
    pub(super) legacy: bool,
}

/// A frame of the current layout at `at`, if a whole one of `epoch` is there: its payload
/// and length.
pub(super) fn frame_at(bytes: &[u8], at: usize, epoch: u64) -> Option<(&[u8], usize)> {
    let rest = bytes.get(at..)?;
    if rest.len() < HEADER || rest[..4] != MAGIC.to_le_bytes() {
        return None;
    }
    let len = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes"));
    let crc = u32::from_le_bytes(rest[8..12].try_into().expect("4 bytes"));
    let e = u64::from_le_bytes(rest[12..20].try_into().expect("8 bytes"));
    if len > MAX_FRAME || e != epoch {
        return None;
    }
    let payload = rest.get(HEADER..HEADER + len as usize)?;
    (checksum(e, payload) == crc).then_some((payload, HEADER + len as usize))
}

/// Reads the entries of a journal: whole ones of the first entry's epoch, in order; a torn
/// tail and older epochs' entries past it dropped.
pub(super) fn read_entries(bytes: &[u8]) -> std::result::Result<Contents, String> {
    if bytes.len() >= 4 && bytes[..4] != MAGIC.to_le_bytes() && bytes[..4] != [0; 4] {
        // The older layout, unless entries of this one follow: then its first is damaged.
        if let Some(at) = first_whole_frame(bytes) {
            return Err(format!(
                "entry at byte 0 is damaged, with a whole entry after it at byte {at}"
            ));
        }
        return read_legacy(bytes);
    }
    // A wipe zeroes the whole first header; a header of zeros but for some of its bytes is
    // a damaged first entry when whole entries of its epoch follow.
    if bytes.len() >= HEADER && bytes[..4] == [0; 4] && bytes[4..HEADER] != [0; HEADER - 4] {
        let epoch = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
        if let Some(at) = next_frame_of(bytes, 1, epoch) {
            return Err(format!(
                "entry at byte 0 is damaged, with a whole entry after it at byte {at}"
            ));
        }
    }
    let mut read = Contents {
        entries: Vec::new(),
        end: 0,
        epoch: 0,
        legacy: false,
    };
    if bytes.len() < HEADER || bytes[..4] != MAGIC.to_le_bytes() {
        return Ok(read);
    }
    // The first header's epoch, whole entry or not (a damaged first entry is found below).
    let epoch = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    read.epoch = epoch;
    let mut at = 0usize;
    while let Some((payload, len)) = frame_at(bytes, at, epoch) {
        let entry: Entry =
            codec::decode(payload).map_err(|e| format!("entry at byte {at}: {e}"))?;
        read.entries.push(entry);
        at += len;
    }
    read.end = at as u64;
    // Every epoch is new to the file, so no entry of this one lies past its last write: a
    // whole one there means the entry where reading stopped is damaged, not torn.
    if let Some(after) = next_frame_of(bytes, at + 1, epoch) {
        return Err(format!(
            "entry at byte {at} fails its checksum, with a whole entry after it at byte {after}"
        ));
    }
    Ok(read)
}

/// Where each magic number starts at or after `from` (a vectorised search: the file is
/// mostly zeros, and an open after a kill searches all of it).
fn magics(bytes: &[u8], from: usize) -> impl Iterator<Item = usize> + '_ {
    let rest = bytes.get(from..).unwrap_or_default();
    memchr::memmem::find_iter(rest, MAGIC_BYTES).map(move |p| from + p)
}

/// Where the first whole frame of `epoch` starts at or after `from`.
fn next_frame_of(bytes: &[u8], from: usize, epoch: u64) -> Option<usize> {
    magics(bytes, from).find(|&p| frame_at(bytes, p, epoch).is_some())
}

/// Where the first whole frame of the current layout, of any epoch, starts.
fn first_whole_frame(bytes: &[u8]) -> Option<usize> {
    magics(bytes, 0).find(|&p| {
        bytes.get(p + 12..p + 20).is_some_and(|e| {
            let epoch = u64::from_le_bytes(e.try_into().expect("8 bytes"));
            frame_at(bytes, p, epoch).is_some()
        })
    })
}

/// The older layout: entries appended to a file that a flush truncated.
fn read_legacy(bytes: &[u8]) -> std::result::Result<Contents, String> {
    let mut entries = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.len() < 8 {
            break; // a torn header: the commit never returned
        }
        let len = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes"));
        let crc = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes"));
        if len > MAX_FRAME {
            return Err(format!("entry at byte {at} claims {len} bytes"));
        }
        let end = 8 + len as usize;
        if rest.len() < end {
            break; // a torn payload
        }
        let payload = &rest[8..end];
        if crc32fast::hash(payload) != crc {
            if at + end == bytes.len() {
                break; // the last write was torn inside its payload
            }
            return Err(format!("entry at byte {at} fails its checksum"));
        }
        let entry: Entry =
            codec::decode(payload).map_err(|e| format!("entry at byte {at}: {e}"))?;
        entries.push(entry);
        at += end;
    }
    Ok(Contents {
        entries,
        end: at as u64,
        epoch: 0,
        legacy: true,
    })
}
