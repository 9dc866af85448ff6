//! A lead's behavioural signals in compact form: what engagement rules count and decay.
//!
//! Each event is one `u32`: the signal kind in the top 3 bits and the minute (since the Unix
//! epoch) in the low 29 bits, which covers the years 1970–2990. Times are kept to the minute
//! everywhere — in scoring, in the explanation and in the in-memory index — so all of them
//! see the same numbers. At most [`MAX_PER_SIGNAL`] newest events per kind are kept.

use crate::core::model::{Activity, ActivityKind, MINUTE, Signal, Timestamp};

/// Events kept per signal kind; counters saturate at this number.
pub const MAX_PER_SIGNAL: usize = 128;

const TIME_BITS: u32 = 29;
const TIME_MASK: u32 = (1 << TIME_BITS) - 1;

/// A lead's signal events, sorted by kind then time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignalSummary {
    events: Box<[u32]>,
}

fn kind_index(s: Signal) -> u32 {
    Signal::ALL.iter().position(|x| *x == s).unwrap_or(0) as u32
}

fn pack(s: Signal, at: Timestamp) -> u32 {
    let minute = (at.max(0) / MINUTE).min(TIME_MASK as i64) as u32;
    (kind_index(s) << TIME_BITS) | minute
}

fn unpack_time(e: u32) -> Timestamp {
    (e & TIME_MASK) as i64 * MINUTE
}

impl SignalSummary {
    /// The signal events among a lead's activities (other activity is ignored).
    pub fn from_activities<'a>(activities: impl IntoIterator<Item = &'a Activity>) -> Self {
        Self::from_events(activities.into_iter().filter_map(|a| match a.kind {
            ActivityKind::Signal(s) => Some((s, a.at)),
            _ => None,
        }))
    }

    pub fn from_events(events: impl IntoIterator<Item = (Signal, Timestamp)>) -> Self {
        let mut events: Vec<u32> = events.into_iter().map(|(s, t)| pack(s, t)).collect();
        events.sort_unstable();
        SignalSummary {
            events: capped(events).into_boxed_slice(),
        }
    }

    /// Rebuilds a summary from [`SignalSummary::packed`] values.
    pub fn from_packed(mut events: Vec<u32>) -> Self {
        events.sort_unstable();
        events.retain(|e| (e >> TIME_BITS) < Signal::ALL.len() as u32);
        SignalSummary {
            events: capped(events).into_boxed_slice(),
        }
    }

    /// The compact events, for the in-memory index.
    pub fn packed(&self) -> &[u32] {
        &self.events
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Adds one event.
    pub fn push(&mut self, signal: Signal, at: Timestamp) {
        let e = pack(signal, at);
        let mut events = std::mem::take(&mut self.events).into_vec();
        let i = events.partition_point(|x| *x <= e);
        events.insert(i, e);
        self.events = capped(events).into_boxed_slice();
    }

    /// Heap bytes the summary holds.
    /// The time of the newest event of any kind, future ones included.
    pub fn newest_time(&self) -> Option<Timestamp> {
        self.events.iter().map(|&e| unpack_time(e)).max()
    }

    pub fn heap_bytes(&self) -> usize {
        self.events.len() * std::mem::size_of::<u32>()
    }

    fn range(&self, s: Signal) -> std::ops::Range<usize> {
        kind_range(&self.events, s)
    }

    /// Times (oldest first) of one kind's events that happened at or before `now`.
    fn times_until(&self, s: Signal, now: Timestamp) -> &[u32] {
        let r = self.range(s);
        let slice = &self.events[r];
        let end = slice.partition_point(|e| unpack_time(*e) <= now);
        &slice[..end]
    }

    /// Whether any event, of any kind, happened after `from` and at or before `to`.
    pub fn any_between(&self, from: Timestamp, to: Timestamp) -> bool {
        self.events.iter().any(|e| {
            let t = unpack_time(*e);
            from < t && t <= to
        })
    }

    /// How many `signal` events happened in the `window` seconds up to `now`, and the newest.
    pub fn count(&self, signal: Signal, window: i64, now: Timestamp) -> (usize, Option<Timestamp>) {
        let times = self.times_until(signal, now);
        let from = now - window;
        let start = times.partition_point(|e| unpack_time(*e) < from);
        let n = times.len() - start;
        (n, (n > 0).then(|| unpack_time(times[times.len() - 1])))
    }

    /// The newest event at or before `now` of a kind in `mask` (bit i = `Signal::ALL[i]`).
    pub fn newest(&self, mask: u8, now: Timestamp) -> Option<(Signal, Timestamp)> {
        Signal::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .filter_map(|(_, s)| {
                self.times_until(*s, now)
                    .last()
                    .map(|e| (*s, unpack_time(*e)))
            })
            .max_by_key(|(_, t)| *t)
    }

    /// The newest event at or before `now` of each kind in `mask`.
    pub fn newest_each(
        &self,
        mask: u8,
        now: Timestamp,
    ) -> impl Iterator<Item = (Signal, Timestamp)> + '_ {
        Signal::ALL
            .iter()
            .enumerate()
            .filter(move |(i, _)| mask & (1 << i) != 0)
            .filter_map(move |(_, s)| {
                self.times_until(*s, now)
                    .last()
                    .map(|e| (*s, unpack_time(*e)))
            })
    }
}

fn kind_range(events: &[u32], s: Signal) -> std::ops::Range<usize> {
    let k = kind_index(s);
    let lo = events.partition_point(|e| e >> TIME_BITS < k);
    let hi = events.partition_point(|e| e >> TIME_BITS <= k);
    lo..hi
}

/// Keeps the newest [`MAX_PER_SIGNAL`] events of each kind of sorted `events`.
fn capped(mut events: Vec<u32>) -> Vec<u32> {
    for s in Signal::ALL {
        let r = kind_range(&events, s);
        if r.len() > MAX_PER_SIGNAL {
            events.drain(r.start..r.end - MAX_PER_SIGNAL);
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::DAY;

    const NOW: Timestamp = 1_795_651_200;

    #[test]
    fn counts_respect_the_window_and_ignore_the_future() {
        let s = SignalSummary::from_events([
            (Signal::WebVisit, NOW - 2 * DAY),
            (Signal::WebVisit, NOW - 10 * DAY),
            (Signal::WebVisit, NOW - 40 * DAY),
            (Signal::WebVisit, NOW + DAY),
            (Signal::EmailOpen, NOW - DAY),
        ]);
        assert_eq!(
            s.count(Signal::WebVisit, 30 * DAY, NOW),
            (2, Some(NOW - 2 * DAY))
        );
        assert_eq!(
            s.count(Signal::WebVisit, 30 * DAY, NOW - 5 * DAY),
            (1, Some(NOW - 10 * DAY))
        );
        assert_eq!(s.count(Signal::EmailReply, 30 * DAY, NOW), (0, None));
        assert_eq!(s.newest(0xff, NOW), Some((Signal::EmailOpen, NOW - DAY)));
        assert_eq!(
            s.newest(1 << 2, NOW),
            Some((Signal::WebVisit, NOW - 2 * DAY))
        );
    }

    #[test]
    fn keeps_minutes_and_caps_each_kind() {
        let mut s =
            SignalSummary::from_events((0..300).map(|i| (Signal::EmailOpen, NOW - i * 60 - 7)));
        assert_eq!(s.count(Signal::EmailOpen, 365 * DAY, NOW).0, MAX_PER_SIGNAL);
        // The newest survive the cap, rounded down to the minute.
        assert_eq!(s.newest(1, NOW), Some((Signal::EmailOpen, NOW - 60)));
        s.push(Signal::EmailReply, NOW + 59);
        assert_eq!(s.newest(0xff, NOW + 60), Some((Signal::EmailReply, NOW)));
        assert_eq!(SignalSummary::from_packed(s.packed().to_vec()), s);
    }
}
