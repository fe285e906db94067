//! The large-scale path: interactions generated per user in fixed chunks on the rayon pool and
//! streamed to the CSV in chunk order.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::mpsc;

use rayon::prelude::*;

use crate::generate::{generate_catalog, user_interaction_counts, Model, CHUNK_USERS};
use crate::{
    write_items, write_users, Interaction, Item, SynthConfig, SynthFiles, User, DEVICES, EVENT_TYPES,
    INTERACTIONS_FILE, INTERACTIONS_HEADER, ITEMS_FILE, USERS_FILE,
};

/// Generates the dataset described by `cfg` and writes `interactions.csv`, `items.csv` and
/// `users.csv` (with headers, same columns as [`crate::write_dataset`]) into `dir`, which must
/// exist, without holding the interactions in memory.
///
/// Interaction rows are grouped by user (users in id order) and sorted by time within a user.
/// The output is a pure function of `cfg`: chunks of users have fixed boundaries and their own
/// RNG streams, so the number of rayon threads (`RAYON_NUM_THREADS`, or the pool this is called
/// in) changes the speed, never the bytes. With [`crate::Activity::LogNormal`] the rows are
/// exactly those of [`crate::generate`] (which sorts them by time instead).
pub fn write_dataset_streaming(dir: &Path, cfg: &SynthConfig) -> io::Result<SynthFiles> {
    let (users, items) = generate_catalog(cfg)?;
    let files = SynthFiles {
        interactions: dir.join(INTERACTIONS_FILE),
        items: dir.join(ITEMS_FILE),
        users: dir.join(USERS_FILE),
    };
    stream_interactions(&files.interactions, cfg, &users, &items)?;
    write_items(&files.items, &items)?;
    write_users(&files.users, &users)?;
    Ok(files)
}

/// Writes only the interactions CSV of [`write_dataset_streaming`] to `path`; returns the number
/// of bytes written.
pub fn write_interactions_streaming(path: &Path, cfg: &SynthConfig) -> io::Result<u64> {
    let (users, items) = generate_catalog(cfg)?;
    stream_interactions(path, cfg, &users, &items)
}

fn stream_interactions(path: &Path, cfg: &SynthConfig, users: &[User], items: &[Item]) -> io::Result<u64> {
    let counts = user_interaction_counts(cfg)?;
    let model = Model::new(cfg, users, items);
    let chunks = users.len().div_ceil(CHUNK_USERS);
    // Chunks are formatted in parallel a batch at a time; a writer thread writes the previous
    // batch meanwhile. The batch size only affects speed and memory.
    let batch = 4 * rayon::current_num_threads().max(1);
    let mut file = File::create(path)?;
    let mut header = INTERACTIONS_HEADER.join(",").into_bytes();
    header.push(b'\n');
    file.write_all(&header)?;
    let (tx, rx) = mpsc::sync_channel::<Vec<Vec<u8>>>(1);
    let writer = std::thread::spawn(move || -> io::Result<(File, u64)> {
        let mut bytes = 0u64;
        for bufs in rx {
            for b in bufs {
                file.write_all(&b)?;
                bytes += b.len() as u64;
            }
        }
        Ok((file, bytes))
    });
    for first in (0..chunks).step_by(batch) {
        let bufs: Vec<Vec<u8>> = (first..(first + batch).min(chunks))
            .into_par_iter()
            .map(|c| {
                let rows = model.chunk(&counts, c);
                let mut buf = Vec::with_capacity(rows.len() * 52);
                for r in &rows {
                    format_row(&mut buf, r);
                }
                buf
            })
            .collect();
        if tx.send(bufs).is_err() {
            break; // the writer stopped on an error, returned by `join` below
        }
    }
    drop(tx);
    let (_file, bytes) = writer.join().map_err(|_| io::Error::other("CSV writer thread panicked"))??;
    Ok(header.len() as u64 + bytes)
}

/// Appends `USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,DEVICE,TIMESTAMP\n`, byte-identical to
/// [`crate::write_interactions`] (`u{n}`, `i{n}`, value with two decimals).
pub(crate) fn format_row(buf: &mut Vec<u8>, r: &Interaction) {
    buf.push(b'u');
    push_u64(buf, u64::from(r.user) + 1);
    buf.extend_from_slice(b",i");
    push_u64(buf, u64::from(r.item) + 1);
    buf.push(b',');
    buf.extend_from_slice(EVENT_TYPES[r.event_type as usize].as_bytes());
    buf.push(b',');
    push_fixed2(buf, f64::from(r.event_value));
    buf.push(b',');
    buf.extend_from_slice(DEVICES[r.device as usize].as_bytes());
    buf.push(b',');
    if r.timestamp < 0 {
        buf.push(b'-');
    }
    push_u64(buf, r.timestamp.unsigned_abs());
    buf.push(b'\n');
}

fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// A non-negative value with two decimals (the values are already rounded to cents).
fn push_fixed2(buf: &mut Vec<u8>, v: f64) {
    let cents = (v * 100.0).round().max(0.0) as u64;
    push_u64(buf, cents / 100);
    buf.push(b'.');
    buf.push(b'0' + (cents / 10 % 10) as u8);
    buf.push(b'0' + (cents % 10) as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed2_matches_std_formatting_of_rounded_f32() {
        for cents in 0..=500u32 {
            let v = (f64::from(cents) / 100.0) as f32;
            let mut buf = Vec::new();
            push_fixed2(&mut buf, f64::from(v));
            assert_eq!(String::from_utf8(buf).unwrap(), format!("{v:.2}"));
        }
        let mut buf = Vec::new();
        push_u64(&mut buf, 0);
        push_u64(&mut buf, u64::MAX);
        assert_eq!(String::from_utf8(buf).unwrap(), format!("0{}", u64::MAX));
    }
}
