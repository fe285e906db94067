//! A fixed-size bitset over table rows.

/// A set of rows `0..len()`, one bit per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowSet {
    words: Vec<u64>,
    len: usize,
}

impl RowSet {
    /// The empty set over `len` rows.
    pub fn empty(len: usize) -> Self {
        RowSet { words: vec![0; len.div_ceil(64)], len }
    }

    /// The set of all `len` rows.
    pub fn full(len: usize) -> Self {
        let mut s = RowSet { words: vec![u64::MAX; len.div_ceil(64)], len };
        s.clear_tail();
        s
    }

    fn clear_tail(&mut self) {
        let rem = self.len % 64;
        if rem != 0 {
            if let Some(w) = self.words.last_mut() {
                *w &= (1u64 << rem) - 1;
            }
        }
    }

    /// Number of rows the set ranges over (not the number of members).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set ranges over no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `row` (ignored when out of range).
    #[inline]
    pub fn insert(&mut self, row: u32) {
        let r = row as usize;
        if r < self.len {
            self.words[r / 64] |= 1 << (r % 64);
        }
    }

    /// Whether `row` is a member.
    #[inline]
    pub fn contains(&self, row: u32) -> bool {
        let r = row as usize;
        r < self.len && self.words[r / 64] >> (r % 64) & 1 == 1
    }

    /// Number of members.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether there are no members.
    pub fn none(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// Members in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros();
                w &= w - 1;
                Some((i * 64) as u32 + b)
            })
        })
    }

    /// `self ∪= other` (same length).
    pub fn union_with(&mut self, other: &RowSet) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a |= b);
    }

    /// `self ∩= other` (same length).
    pub fn intersect_with(&mut self, other: &RowSet) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a &= b);
    }

    /// `self −= other` (same length).
    pub fn subtract(&mut self, other: &RowSet) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a &= !b);
    }

    /// Complement within `0..len()`.
    pub fn invert(&mut self) {
        self.words.iter_mut().for_each(|w| *w = !*w);
        self.clear_tail();
    }

    /// Sets each row's bit to `pred(values[row])`; `values.len()` must be `len()`.
    #[inline]
    pub(crate) fn fill_from(&mut self, values: &[f64], pred: impl Fn(f64) -> bool) {
        #[inline(always)]
        fn pack(chunk: &[f64], pred: &impl Fn(f64) -> bool) -> u64 {
            chunk.iter().enumerate().fold(0u64, |bits, (j, &v)| bits | u64::from(pred(v)) << j)
        }
        // Fixed-size chunks let the compiler unroll and vectorise the compare.
        let chunks = values.chunks_exact(64);
        let tail = chunks.remainder();
        let mut words = self.words.iter_mut();
        // `chunks` drives the zip so that no word is consumed past its end.
        for (chunk, w) in chunks.zip(words.by_ref()) {
            *w = pack(chunk, &pred);
        }
        if let Some(w) = words.next() {
            *w = pack(tail, &pred);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let mut s = RowSet::empty(130);
        assert!(s.none());
        for r in [0, 63, 64, 129, 130, 5000] {
            s.insert(r);
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![0, 63, 64, 129]);
        assert_eq!(s.count(), 4);
        assert!(s.contains(129) && !s.contains(130) && !s.contains(1));
        s.invert();
        assert_eq!(s.count(), 126);
        assert!(!s.contains(130));
        let full = RowSet::full(130);
        assert_eq!(full.count(), 130);
        let mut a = RowSet::empty(130);
        a.insert(3);
        let mut u = s.clone();
        u.union_with(&full);
        assert_eq!(u, full);
        let mut i = full.clone();
        i.intersect_with(&a);
        assert_eq!(i, a);
        let mut d = full.clone();
        d.subtract(&a);
        assert_eq!(d.count(), 129);
        assert!(RowSet::full(0).is_empty());
        assert_eq!(RowSet::full(64).count(), 64);
        for n in [0, 1, 63, 64, 65, 70, 128, 200] {
            let mut f = RowSet::empty(n);
            let vals: Vec<f64> = (0..n as u32).map(f64::from).collect();
            f.fill_from(&vals, |v| v >= 60.0 || v == 3.0);
            let want: Vec<u32> = (0..n as u32).filter(|&v| v >= 60 || v == 3).collect();
            assert_eq!(f.iter().collect::<Vec<_>>(), want, "{n}");
        }
    }
}
