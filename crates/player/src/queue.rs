//! The play queue: items in the order they were added, the order they play in (shuffled or
//! not), the current position and the repeat mode. Pure bookkeeping, no I/O.

use crate::plan::Target;

/// What happens at the end of an item and of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Repeat {
    /// Play the queue once (the default).
    #[default]
    Off,
    /// Play the current item again and again (next and previous still move).
    One,
    /// Start the queue again after its last item.
    All,
}

/// The queue. Indexes in events and in [`Queue::current`] are positions in the order items
/// were added, whatever the shuffle.
#[derive(Debug, Clone, Default)]
pub(crate) struct Queue {
    items: Vec<Target>,
    /// Play order: indexes into `items`.
    order: Vec<usize>,
    /// Position in `order` of the current item (`order.len()` when past the end).
    pos: usize,
    repeat: Repeat,
    shuffle: Option<u64>,
}

impl Queue {
    /// Replaces everything with `items`, starting at the first (or, shuffled, at whichever
    /// the shuffle puts first).
    pub fn replace(&mut self, items: Vec<Target>) {
        self.items = items;
        self.order = (0..self.items.len()).collect();
        self.pos = 0;
        if let Some(seed) = self.shuffle {
            shuffle(&mut self.order, seed);
        }
    }

    /// Adds `items` at the end (in play order too).
    pub fn append(&mut self, items: Vec<Target>) {
        for t in items {
            self.order.push(self.items.len());
            self.items.push(t);
        }
    }

    /// Replaces the item at `index` (a playlist) by `items` (its tracks), in place.
    pub fn expand(&mut self, index: usize, items: Vec<Target>) {
        if index >= self.items.len() {
            return;
        }
        let added = items.len();
        self.items.splice(index..=index, items);
        let at = self.order.iter().position(|&i| i == index);
        let mut order: Vec<usize> = Vec::with_capacity(self.items.len());
        for &i in &self.order {
            if i == index {
                order.extend(index..index + added);
            } else if i > index {
                order.push(i + added - 1);
            } else {
                order.push(i);
            }
        }
        self.order = order;
        match at {
            Some(at) if at < self.pos => self.pos = self.pos + added - 1,
            // Not played yet: with a shuffle, what is still to come (the playlist's tracks
            // among it) is shuffled again, so the shuffle applies to the tracks, not to the
            // playlist as one item. An expanded current item gives up its place too.
            Some(at) if self.pos < self.order.len() => {
                if let Some(seed) = self.shuffle {
                    let from = if at == self.pos {
                        self.pos
                    } else {
                        self.pos + 1
                    };
                    let seed = seed ^ (self.items.len() as u64).rotate_left(32);
                    shuffle(&mut self.order[from..], seed);
                }
            }
            _ => {}
        }
    }

    /// Empties the queue.
    pub fn clear(&mut self) {
        self.items.clear();
        self.order.clear();
        self.pos = 0;
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The current item: its index and target.
    pub fn current(&self) -> Option<(usize, &Target)> {
        let i = *self.order.get(self.pos)?;
        Some((i, &self.items[i]))
    }

    /// The item at `index`.
    pub fn target(&self, index: usize) -> Option<&Target> {
        self.items.get(index)
    }

    /// Makes the item at `index` current.
    pub fn jump(&mut self, index: usize) -> bool {
        match self.order.iter().position(|&i| i == index) {
            Some(p) => {
                self.pos = p;
                true
            }
            None => false,
        }
    }

    fn step(&self, auto: bool) -> Option<usize> {
        if self.order.is_empty() {
            return None;
        }
        if auto && self.repeat == Repeat::One {
            return Some(self.pos);
        }
        if self.pos + 1 < self.order.len() {
            Some(self.pos + 1)
        } else if self.repeat != Repeat::Off {
            Some(0)
        } else {
            None
        }
    }

    /// The item that follows the current one (at its end when `auto`, or on "next").
    pub fn peek_next(&self, auto: bool) -> Option<usize> {
        self.step(auto).map(|p| self.order[p])
    }

    /// Moves on (at the end of an item when `auto`, else "next"); `false` at the end.
    pub fn advance(&mut self, auto: bool) -> bool {
        match self.step(auto) {
            Some(p) => {
                self.pos = p;
                true
            }
            None => {
                self.pos = self.order.len();
                false
            }
        }
    }

    /// Moves back one item (with repeat all, from the first to the last); `false` at the start.
    pub fn back(&mut self) -> bool {
        if self.pos > 0 && self.pos <= self.order.len() {
            self.pos -= 1;
            true
        } else if self.repeat == Repeat::All && !self.order.is_empty() {
            self.pos = self.order.len() - 1;
            true
        } else {
            false
        }
    }

    /// The repeat mode.
    pub fn repeat(&self) -> Repeat {
        self.repeat
    }

    /// The shuffle seed, when shuffled.
    pub fn shuffle_seed(&self) -> Option<u64> {
        self.shuffle
    }

    /// Sets the repeat mode.
    pub fn set_repeat(&mut self, r: Repeat) {
        self.repeat = r;
    }

    /// Shuffles with `seed` (the current item stays current and plays first), or, with `None`,
    /// goes back to the order of addition.
    pub fn set_shuffle(&mut self, seed: Option<u64>) {
        self.shuffle = seed;
        let current = self.current().map(|(i, _)| i);
        match seed {
            Some(s) => self.reshuffle(s),
            None => {
                self.order = (0..self.items.len()).collect();
                self.pos = current.unwrap_or(0);
            }
        }
    }

    fn reshuffle(&mut self, seed: u64) {
        let current = self.current().map(|(i, _)| i);
        let mut order: Vec<usize> = (0..self.items.len())
            .filter(|&i| Some(i) != current)
            .collect();
        shuffle(&mut order, seed);
        if let Some(c) = current {
            order.insert(0, c);
        }
        self.order = order;
        self.pos = 0;
    }
}

/// Fisher–Yates over `order`, reproducible from `seed`.
fn shuffle(order: &mut [usize], seed: u64) {
    let mut rng = SplitMix64(seed);
    for i in (1..order.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}

/// A small, well-mixed generator for the shuffle (reproducible from its seed).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(n: u64) -> Target {
        Target::Track(n.into())
    }

    fn ids(q: &Queue) -> Vec<usize> {
        let mut q = q.clone();
        let mut out = vec![];
        while let Some((i, _)) = q.current() {
            out.push(i);
            if !q.advance(true) || out.len() > 20 {
                break;
            }
        }
        out
    }

    #[test]
    fn plays_in_order_then_ends() {
        let mut q = Queue::default();
        q.replace(vec![t(1), t(2), t(3)]);
        assert_eq!(ids(&q), [0, 1, 2]);
        q.advance(false);
        q.advance(false);
        assert!(!q.advance(false));
        assert!(q.current().is_none());
    }

    #[test]
    fn repeat_one_stays_on_auto_but_moves_on_next() {
        let mut q = Queue::default();
        q.replace(vec![t(1), t(2)]);
        q.set_repeat(Repeat::One);
        assert_eq!(q.peek_next(true), Some(0));
        assert!(q.advance(true));
        assert_eq!(q.current().unwrap().0, 0);
        assert!(q.advance(false));
        assert_eq!(q.current().unwrap().0, 1);
    }

    #[test]
    fn repeat_all_wraps_both_ways() {
        let mut q = Queue::default();
        q.replace(vec![t(1), t(2)]);
        q.set_repeat(Repeat::All);
        q.advance(true);
        assert_eq!(q.peek_next(true), Some(0));
        q.advance(true);
        assert_eq!(q.current().unwrap().0, 0);
        assert!(q.back());
        assert_eq!(q.current().unwrap().0, 1);
    }

    #[test]
    fn shuffle_is_a_reproducible_permutation_keeping_the_current_item() {
        let mut q = Queue::default();
        q.replace((1..=10).map(t).collect());
        q.advance(false);
        q.set_shuffle(Some(42));
        let a = ids(&q);
        assert_eq!(a[0], 1, "the current item stays current");
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_ne!(a, (0..10).collect::<Vec<_>>());
        let mut q2 = Queue::default();
        q2.replace((1..=10).map(t).collect());
        q2.advance(false);
        q2.set_shuffle(Some(42));
        assert_eq!(ids(&q2), a, "same seed, same order");
        q.set_shuffle(None);
        assert_eq!(q.current().unwrap().0, 1);
        assert_eq!(ids(&q), (1..10).collect::<Vec<_>>());
    }

    #[test]
    fn a_playlist_expands_in_place() {
        let mut q = Queue::default();
        q.replace(vec![t(1), t(2), t(3)]);
        q.advance(false);
        q.expand(1, vec![t(20), t(21), t(22)]);
        assert_eq!(q.len(), 5);
        assert_eq!(q.current().unwrap(), (1, &t(20)));
        assert_eq!(ids(&q), [1, 2, 3, 4]);
        q.expand(4, vec![]);
        assert_eq!(q.len(), 4);
        assert_eq!(ids(&q), [1, 2, 3]);
    }

    #[test]
    fn a_shuffle_applies_to_what_a_playlist_expands_to() {
        let tracks = |n: u64| (100..100 + n).map(t).collect::<Vec<_>>();
        // One playlist target, shuffled before it expands (as `play --shuffle SEED SET` does).
        let orders: Vec<Vec<usize>> = [1u64, 2, 3]
            .iter()
            .map(|&seed| {
                let mut q = Queue::default();
                q.set_shuffle(Some(seed));
                q.replace(vec![t(1)]);
                q.expand(0, tracks(10));
                let order = ids(&q);
                let mut sorted = order.clone();
                sorted.sort();
                assert_eq!(sorted, (0..10).collect::<Vec<_>>(), "every track once");
                order
            })
            .collect();
        assert!(
            orders.iter().all(|o| *o != (0..10).collect::<Vec<_>>()),
            "shuffled, not the playlist's order: {orders:?}"
        );
        assert_ne!(orders[0], orders[1], "seeds give different orders");
        let mut again = Queue::default();
        again.set_shuffle(Some(1));
        again.replace(vec![t(1)]);
        again.expand(0, tracks(10));
        assert_eq!(ids(&again), orders[0], "same seed, same order");
        // Several targets: the first target is not always first, and a later playlist's
        // tracks mix with what is still to come.
        let mut q = Queue::default();
        q.set_shuffle(Some(9));
        q.replace((1..=6).map(t).collect());
        assert_ne!(ids(&q), (0..6).collect::<Vec<_>>());
        let played = q.current().unwrap().0;
        let later = q.peek_next(false).unwrap();
        q.expand(later, tracks(5));
        assert_eq!(q.current().unwrap().0, played, "the current item stays");
        let rest = ids(&q);
        assert_eq!(rest.len(), 10);
        let expanded: Vec<usize> = rest
            .iter()
            .copied()
            .filter(|&i| (later..later + 5).contains(&i))
            .collect();
        let positions: Vec<usize> = expanded
            .iter()
            .map(|e| rest.iter().position(|r| r == e).unwrap())
            .collect();
        assert!(
            positions.windows(2).any(|w| w[1] != w[0] + 1),
            "the playlist's tracks are spread, not one block: {rest:?}"
        );
    }

    #[test]
    fn back_at_the_start_stays() {
        let mut q = Queue::default();
        q.replace(vec![t(1)]);
        assert!(!q.back());
        assert!(q.jump(0));
        assert!(!q.jump(5));
    }
}
