//! Reading a CSV file block by block: header, block boundaries, line numbers, and handing each
//! block's pieces to the parser.

use super::*;

pub(super) fn csv_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .double_quote(true)
        .escape(Some(b'\\'))
        .buffer_capacity(1 << 16)
        .from_reader(bytes)
}

/// The 1-based line of the record starting at byte `start` of `bytes`,
/// whose first line is `first_line`. Computed from the bytes (the csv
/// crate's own line counter does not count CRLF terminators reliably); a
/// record position may point at skipped blank lines, which are stepped over.
pub(super) fn line_at(bytes: &[u8], first_line: u64, start: u64) -> u64 {
    let mut start = (start as usize).min(bytes.len());
    while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
        start += 1;
    }
    first_line + count_newlines(&bytes[..start])
}

pub(super) fn count_newlines(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

/// Appends `want` more bytes from `reader` to `buf` (fewer when the input ends); returns whether
/// it ended.
pub(super) fn fill(reader: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    buf.reserve_exact(want);
    let got = reader.take(want as u64).read_to_end(buf)?;
    Ok(got < want)
}

/// The header record of a file whose first bytes are `bytes`: the record, the byte where the
/// body starts and the header's line; `None` when more bytes are needed (`eof`: there are none).
pub(super) fn parse_header(bytes: &[u8], eof: bool) -> Result<Option<(csv::ByteRecord, usize, u64)>, String> {
    let mut rdr = csv_reader(bytes);
    let mut header = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut header) {
            Ok(true) if is_blank(&header) => continue,
            Ok(true) => break,
            Ok(false) if eof => return Err("the file is empty; expected a header row with the column names".into()),
            Ok(false) => return Ok(None),
            Err(e) => return Err(format!("malformed CSV header: {e}")),
        }
    }
    let mut header_end = (rdr.position().byte() as usize).min(bytes.len());
    if header_end >= bytes.len() && !eof {
        // The header may go on in bytes not read yet.
        return Ok(None);
    }
    // The reader may stop between the `\r` and `\n` of a CRLF terminator;
    // start the body at the beginning of a line so line numbers stay exact.
    if header_end > 0 && bytes[header_end - 1] == b'\r' && bytes.get(header_end) == Some(&b'\n') {
        header_end += 1;
    }
    let header_line = line_at(bytes, 1, header.position().map_or(0, |p| p.byte()));
    Ok(Some((header, header_end, header_line)))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn import_file<S: BatchSink>(
    path: &Path,
    schema: &Schema,
    specs: &[Spec<'_>],
    progress: &Progress<'_>,
    options: &ImportOptions,
    open: &OpenFile<'_>,
    sink: &mut S,
    report: &mut ImportReport,
) -> Result<(), ImportError> {
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
    let io_err = |message: String| ImportError::Io { file: file.clone(), message };
    let mut reader = open(path).map_err(io_err)?;
    let block = options.block_bytes.max(1);
    let max_record = options.max_record_bytes.max(1);
    let mut buf: Vec<u8> = Vec::new();
    let mut eof = fill(&mut *reader, &mut buf, block).map_err(|e| io_err(e.to_string()))?;
    if buf.starts_with(BOM) {
        buf.drain(..BOM.len());
    }

    // ---- header
    let (header, header_end, header_line) = loop {
        let header_err = |message: String| ImportError::Header { file: file.clone(), line: 1, message };
        if let Some(found) = parse_header(&buf, eof).map_err(header_err)? {
            break found;
        }
        if buf.len() >= max_record {
            return Err(ImportError::Header {
                file: file.clone(),
                line: 1,
                message: format!("the header row does not end within {max_record} bytes"),
            });
        }
        eof = fill(&mut *reader, &mut buf, block).map_err(|e| io_err(e.to_string()))?;
    };
    let header_err = |message: String| ImportError::Header { file: file.clone(), line: header_line, message };
    let col_map = map_header(&header, schema).map_err(header_err)?;
    let missing_required: Vec<&str> = schema
        .fields
        .iter()
        .enumerate()
        .filter(|(i, f)| !f.nullable && !col_map.contains(&Some(*i)))
        .map(|(_, f)| f.name.as_str())
        .collect();
    if !missing_required.is_empty() {
        return Err(header_err(format!(
            "Input CSV is missing the following columns: [{}]",
            missing_required.join(", ")
        )));
    }
    let unknown: Vec<IgnoredColumn> = header
        .iter()
        .zip(&col_map)
        .enumerate()
        .filter(|(_, (_, m))| m.is_none())
        .map(|(i, (raw, _))| IgnoredColumn {
            file: file.clone(),
            position: i + 1,
            name: String::from_utf8_lossy(raw).into_owned(),
        })
        .collect();
    if !unknown.is_empty() {
        if !options.ignore_unknown_columns {
            // An empty name (a pandas index column) shows as ''.
            let names: Vec<&str> =
                unknown.iter().map(|c| if c.name.is_empty() { "''" } else { c.name.as_str() }).collect();
            return Err(header_err(format!(
                "Input CSV has columns that are not in the schema: [{}]",
                names.join(", ")
            )));
        }
        report.ignored_columns.extend(unknown);
    }
    let missing: Vec<usize> = (0..schema.fields.len()).filter(|i| !col_map.contains(&Some(*i))).collect();
    let ctx = FileCtx { file: file.clone(), schema, specs, col_map, missing, lenient: !options.strict_numbers };

    // ---- body, a block at a time
    let mut line = 1 + count_newlines(&buf[..header_end]);
    buf.drain(..header_end);
    loop {
        let consumed = parse_block(&buf, line, eof, &ctx, progress, options, sink, report)?;
        if eof {
            return Ok(());
        }
        line += count_newlines(&buf[..consumed]);
        buf.drain(..consumed);
        // What is left is the start of a record that did not end in the block.
        if buf.len() > max_record {
            return Err(ImportError::Csv {
                file: file.clone(),
                line: line_at(&buf, line, 0),
                message: format!("the record does not end within {max_record} bytes"),
            });
        }
        eof = fill(&mut *reader, &mut buf, block).map_err(|e| io_err(e.to_string()))?;
    }
}

/// The schema field of each header column (`None`: not in the schema). Names match
/// case-insensitively, an exact match first; a column naming a field another column already
/// named, or matching several fields only by case, is an error naming it.
pub(super) fn map_header(header: &csv::ByteRecord, schema: &Schema) -> Result<Vec<Option<usize>>, String> {
    let mut col_map: Vec<Option<usize>> = Vec::with_capacity(header.len());
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for raw in header.iter() {
        let name = String::from_utf8_lossy(raw).into_owned();
        if names.contains(&name) {
            return Err(format!("the column '{name}' appears more than once in the header"));
        }
        let index = match schema.field_index(&name) {
            Some(i) => Some(i),
            None => {
                let matches: Vec<usize> =
                    (0..schema.fields.len()).filter(|&i| schema.fields[i].name.eq_ignore_ascii_case(&name)).collect();
                if matches.len() > 1 {
                    let fields: Vec<&str> = matches.iter().map(|&i| schema.fields[i].name.as_str()).collect();
                    return Err(format!(
                        "the column '{name}' matches several schema fields ({}); header names match field names case-insensitively",
                        fields.join(", ")
                    ));
                }
                matches.first().copied()
            }
        };
        if let Some(i) = index {
            if let Some(other) = col_map.iter().position(|&m| m == Some(i)) {
                return Err(format!(
                    "the columns '{}' and '{name}' both name the schema field {} (header names match field names case-insensitively)",
                    names[other], schema.fields[i].name
                ));
            }
        }
        col_map.push(index);
        names.push(name);
    }
    Ok(col_map)
}

/// Parses the complete records of `bytes` (all of them when `last`, else up to the last
/// record that surely ended), whose first line is `first_line`, and hands their batches to
/// `sink`; adds their rows and coercions to `report` and returns the bytes consumed.
#[allow(clippy::too_many_arguments)]
pub(super) fn parse_block<S: BatchSink>(
    bytes: &[u8],
    first_line: u64,
    last: bool,
    ctx: &FileCtx<'_>,
    progress: &Progress<'_>,
    options: &ImportOptions,
    sink: &mut S,
    report: &mut ImportReport,
) -> Result<usize, ImportError> {
    let output = |message: String| ImportError::Output(format!("{}: {message}", ctx.file));
    if bytes.contains(&b'"') {
        // A quoted field may span lines: sequentially, stopping before a record that may go on.
        let (cols, rows, consumed, tally) = parse_piece(bytes, first_line, 0, last, ctx, progress)?;
        if rows > 0 {
            let encoded = sink.encode(finish(ctx.schema, cols)?).map_err(output)?;
            sink.write(encoded).map_err(output)?;
        }
        report.rows += rows as u64;
        report.merge(tally);
        return Ok(consumed);
    }
    // No quotes: every newline ends a record.
    let end = if last {
        bytes.len()
    } else {
        match bytes.iter().rposition(|&c| c == b'\n') {
            Some(p) => p + 1,
            None => return Ok(0),
        }
    };
    let body = &bytes[..end];
    let threads = rayon::current_num_threads().max(1);
    let n_chunks = if options.parallel { (body.len() / options.min_chunk_bytes.max(1)).min(threads * 4) } else { 1 };
    let mut bounds = vec![0usize];
    if n_chunks > 1 {
        // split at newline boundaries
        let target = body.len() / n_chunks;
        for k in 1..n_chunks {
            let from = (k * target).max(*bounds.last().expect("nonempty"));
            match body[from..].iter().position(|&c| c == b'\n') {
                Some(p) if from + p + 1 < body.len() => bounds.push(from + p + 1),
                _ => break,
            }
        }
    }
    bounds.push(body.len());
    bounds.dedup();
    let pieces: Vec<&[u8]> = bounds.windows(2).map(|w| &body[w[0]..w[1]]).collect();
    let newlines: Vec<u64> = pieces.par_iter().map(|p| count_newlines(p)).collect();
    let mut first_lines = Vec::with_capacity(pieces.len());
    let mut line = first_line;
    for n in &newlines {
        first_lines.push(line);
        line += n;
    }
    let shared: &S = sink;
    let results: Vec<PieceResult<S::Encoded>> = pieces
        .par_iter()
        .zip(first_lines.par_iter())
        .zip(newlines.par_iter())
        .map(|((piece, &first), &nl)| {
            let (cols, rows, _, tally) = parse_piece(piece, first, nl as usize, true, ctx, progress)?;
            if rows == 0 {
                return Ok((None, tally));
            }
            let encoded = shared.encode(finish(ctx.schema, cols)?).map_err(output)?;
            Ok((Some((encoded, rows as u64)), tally))
        })
        .collect();
    // In file order: the first error fails the import, and the report's lines come in order.
    for r in results {
        let (parsed, tally) = r?;
        if let Some((encoded, n)) = parsed {
            sink.write(encoded).map_err(output)?;
            report.rows += n;
        }
        report.merge(tally);
    }
    Ok(end)
}
