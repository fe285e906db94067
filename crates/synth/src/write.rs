use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

use crate::{
    category_name, Interaction, Item, User, AGE_GROUPS, DEVICES, EVENT_TYPES, INTERACTIONS_HEADER, ITEMS_HEADER,
    MEMBERSHIPS, USERS_HEADER,
};

fn writer(path: &Path) -> io::Result<csv::Writer<BufWriter<File>>> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    Ok(csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(file))
}

fn finish(w: csv::Writer<BufWriter<File>>) -> io::Result<()> {
    let file = w.into_inner().map_err(|e| io::Error::new(e.error().kind(), e.error().to_string()))?;
    file.into_inner().map_err(|e| e.into_error())?;
    Ok(())
}

fn csv_err(e: csv::Error) -> io::Error {
    io::Error::other(e)
}

/// Writes `USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,DEVICE,TIMESTAMP` rows.
pub fn write_interactions(path: &Path, rows: &[Interaction]) -> io::Result<()> {
    let mut w = writer(path)?;
    w.write_record(INTERACTIONS_HEADER).map_err(csv_err)?;
    let (mut user, mut item, mut value, mut ts) = (String::new(), String::new(), String::new(), String::new());
    for r in rows {
        user.clear();
        item.clear();
        value.clear();
        ts.clear();
        let _ = write!(user, "u{}", r.user + 1);
        let _ = write!(item, "i{}", r.item + 1);
        let _ = write!(value, "{:.2}", r.event_value);
        let _ = write!(ts, "{}", r.timestamp);
        w.write_record([
            user.as_str(),
            item.as_str(),
            EVENT_TYPES[r.event_type as usize],
            value.as_str(),
            DEVICES[r.device as usize],
            ts.as_str(),
        ])
        .map_err(csv_err)?;
    }
    finish(w)
}

/// Writes `ITEM_ID,CATEGORY,PRICE,CREATION_TIMESTAMP` rows.
pub fn write_items(path: &Path, rows: &[Item]) -> io::Result<()> {
    let mut w = writer(path)?;
    w.write_record(ITEMS_HEADER).map_err(csv_err)?;
    let max_category = rows.iter().map(|r| r.category as usize + 1).max().unwrap_or(0);
    let names: Vec<String> = (0..max_category).map(category_name).collect();
    let (mut id, mut price, mut ts) = (String::new(), String::new(), String::new());
    for (i, r) in rows.iter().enumerate() {
        id.clear();
        price.clear();
        ts.clear();
        let _ = write!(id, "i{}", i + 1);
        let _ = write!(price, "{:.2}", r.price);
        let _ = write!(ts, "{}", r.creation_timestamp);
        w.write_record([id.as_str(), names[r.category as usize].as_str(), price.as_str(), ts.as_str()])
            .map_err(csv_err)?;
    }
    finish(w)
}

/// Writes `USER_ID,AGE_GROUP,MEMBERSHIP` rows.
pub fn write_users(path: &Path, rows: &[User]) -> io::Result<()> {
    let mut w = writer(path)?;
    w.write_record(USERS_HEADER).map_err(csv_err)?;
    let mut id = String::new();
    for (i, r) in rows.iter().enumerate() {
        id.clear();
        let _ = write!(id, "u{}", i + 1);
        w.write_record([id.as_str(), AGE_GROUPS[r.age_group as usize], MEMBERSHIPS[r.membership as usize]])
            .map_err(csv_err)?;
    }
    finish(w)
}
