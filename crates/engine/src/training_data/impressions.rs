//! Impressions: the items shown to a user with an interaction (the IMPRESSION column), kept per
//! user so User-Personalization can treat those the user never chose as weak negatives.

/// `(user, item)` pairs as pushed, then per user: `(item, times shown)`, sorted by item.
#[derive(Debug, Clone, Default)]
pub(super) struct Impressions {
    pairs: Vec<(u32, u32)>,
    offsets: Vec<usize>,
    items: Vec<(u32, u32)>,
}

impl Impressions {
    pub(super) fn push(&mut self, user: u32, item: u32) {
        self.pairs.push((user, item));
    }

    /// Groups the pairs by user (`num_users` users).
    pub(super) fn finish(&mut self, num_users: usize) {
        let mut pairs = std::mem::take(&mut self.pairs);
        pairs.sort_unstable();
        self.items.clear();
        self.offsets = Vec::with_capacity(num_users + 1);
        self.offsets.push(0);
        let mut next = 0;
        for u in 0..num_users as u32 {
            let start = self.items.len();
            while next < pairs.len() && pairs[next].0 == u {
                let item = pairs[next].1;
                match self.items[start..].last_mut() {
                    Some(last) if last.0 == item => last.1 += 1,
                    _ => self.items.push((item, 1)),
                }
                next += 1;
            }
            self.offsets.push(self.items.len());
        }
    }

    /// The items shown to `user` and how many times (sorted by item).
    pub(super) fn of(&self, user: u32) -> &[(u32, u32)] {
        match (self.offsets.get(user as usize), self.offsets.get(user as usize + 1)) {
            (Some(&a), Some(&b)) => &self.items[a..b],
            _ => &[],
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_by_user_and_counted() {
        let mut imp = Impressions::default();
        for (u, i) in [(2, 7), (0, 3), (2, 1), (2, 7), (0, 3)] {
            imp.push(u, i);
        }
        imp.finish(4);
        assert_eq!(imp.of(0), [(3, 2)]);
        assert_eq!(imp.of(1), []);
        assert_eq!(imp.of(2), [(1, 1), (7, 2)]);
        assert_eq!(imp.of(3), []);
        assert_eq!(imp.of(9), []);
        assert!(!imp.is_empty());
    }
}
