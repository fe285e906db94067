//! The files of a batch job (inference or segments; docs/compatibility.md, "Batch inference"
//! and "Batch segments"): JSON Lines inputs from a
//! local path, `file://` URL or `s3://` location (downloaded to a scratch folder), one
//! `<input file name>.out` per input written locally and uploaded at the end when the output
//! location is object storage.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::data_roots::{DataAccess, PartialFile, PlaceError, Places};
use crate::error::ServiceResult;
use crate::job_access::JobStorageError;
use crate::object_storage::{ObjectStorageError, Scratch};
use crate::resource::{update_of, ResourceKind};
use crate::tasks::{set_status, Outcome, Progress};
use crate::Reko;
use reko_api::{ApiError, DataLocation, Filter, ResourceStatus, S3DataConfig, SolutionVersion};

/// Where a job reads and writes.
pub(crate) struct JobFiles {
    /// Input files, in order.
    pub inputs: Vec<PathBuf>,
    out_dir: PathBuf,
    input_downloaded: bool,
    output_location: DataLocation,
    /// Where local inputs and outputs may be: every local file is opened through it.
    places: Places,
    /// SSE-KMS key of the output (`jobOutput.s3DataDestination.kmsKeyArn`).
    output_kms_key: Option<String>,
    /// The store of `s3://` inputs and outputs, reached as the job's role (or as the server).
    storage: crate::object_storage::ObjectStorageConfig,
    /// Kept alive for the job: removed (downloads, staged outputs) when dropped.
    _scratch: Scratch,
}

impl JobFiles {
    /// Resolves (and downloads) the inputs and prepares the output folder; the error is the
    /// job's failure reason, naming the location. Local locations are checked again here (they
    /// were checked at creation; a link may have been swapped in since), against the roots and
    /// with the role the job was authorized with (`grant`).
    pub(crate) fn open(
        reko: &Reko,
        input: &S3DataConfig,
        output: &S3DataConfig,
        grant: &crate::job_access::JobGrant,
    ) -> Result<JobFiles, JobFilesError> {
        let (input_field, output_field) = ("jobInput.s3DataSource.path", "jobOutput.s3DataDestination.path");
        let input_location = DataLocation::parse(input_field, &input.path);
        let output_location = DataLocation::parse(output_field, &output.path);
        let scratch = Scratch::new(&reko.config().data_dir);
        let places = reko.job_places(grant);
        let storage = reko.job_storage(grant, &[&input_location, &output_location])?;
        let input_downloaded = input_location.is_s3();
        let inputs = if let Some(s3) = input_location.as_s3() {
            storage.download(s3, &scratch.0.join("in"))?
        } else {
            places.input_files(input_location.as_str(), input_field)?
        };
        let out_dir = if output_location.is_s3() {
            let dir = scratch.0.join("out");
            std::fs::create_dir_all(&dir).map_err(|source| PlaceError::OutputFolder { folder: dir.clone(), source })?;
            dir
        } else {
            places.output_location(output_location.as_str(), output_field)?
        };
        Ok(JobFiles {
            inputs,
            out_dir,
            input_downloaded,
            output_location,
            places,
            output_kms_key: output.kms_key_arn.clone(),
            storage,
            _scratch: scratch,
        })
    }

    /// Opens an input: a downloaded one in the job's scratch folder, a local one the checked way.
    pub(crate) fn open_input(&self, input: &Path) -> Result<std::fs::File, JobFilesError> {
        if self.input_downloaded {
            std::fs::File::open(input).map_err(|e| PlaceError::io("read", input)(e).into())
        } else {
            Ok(self.places.open_or_reason(input, DataAccess::Read)?)
        }
    }

    /// Total size of the inputs, for progress.
    pub(crate) fn input_bytes(&self) -> u64 {
        self.inputs.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum()
    }

    /// The output file of an input: `<input file name>.out` (downloaded objects carry a numeric
    /// prefix that keeps them apart, which is dropped here).
    pub(crate) fn output_for(&self, input: &Path) -> PathBuf {
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "input".into());
        let name = match (self.input_downloaded, name.split_once('-')) {
            (true, Some((n, rest))) if n.len() == 5 && n.bytes().all(|b| b.is_ascii_digit()) => rest.to_string(),
            _ => name,
        };
        self.out_dir.join(format!("{name}.out"))
    }

    /// Turns every input into its output with `lines` (chunks of `chunk_lines`), then uploads
    /// the outputs when the output location is object storage; returns (lines, lines with
    /// errors), or the job's failure reason.
    pub(crate) fn run(
        &self,
        chunk_lines: usize,
        lines: &LineBatch<'_>,
        progress: &mut Progress<'_>,
    ) -> Result<(u64, u64), JobFilesError> {
        let total_bytes = self.input_bytes();
        let done_bytes = AtomicU64::new(0);
        let (mut written, mut errors) = (0u64, 0u64);
        let mut outputs = Vec::with_capacity(self.inputs.len());
        for input in &self.inputs {
            let out = self.output_for(input);
            let (l, e) = self.process_file(input, &out, chunk_lines, lines, &done_bytes, total_bytes, progress)?;
            outputs.push(out);
            written += l;
            errors += e;
        }
        if let Some(s3) = self.output_location.as_s3() {
            self.storage.upload(&outputs, s3, self.output_kms_key.as_deref())?;
        }
        Ok((written, errors))
    }

    /// Reads `input` in chunks of `chunk_lines` non-blank lines, turns each chunk into output
    /// lines with `lines` and writes them to `out` (through a temporary name, renamed at the end,
    /// so a half-written output never looks finished); returns (lines, lines with errors).
    #[allow(clippy::too_many_arguments)]
    fn process_file(
        &self,
        input: &Path,
        out: &Path,
        chunk_lines: usize,
        lines: &LineBatch<'_>,
        done_bytes: &AtomicU64,
        total_bytes: u64,
        progress: &mut Progress<'_>,
    ) -> Result<(u64, u64), JobFilesError> {
        let file = self.open_input(input)?;
        let partial = PartialFile::of(out);
        let tmp = partial.0.clone();
        let local_output = !self.output_location.is_s3();
        let writer = if local_output {
            self.places.open_or_reason(&tmp, DataAccess::Write)?
        } else {
            std::fs::File::create(&tmp).map_err(PlaceError::io("write", &tmp))?
        };
        let mut writer = BufWriter::new(writer);
        let mut reader = std::io::BufReader::new(file);
        let (mut written, mut errors) = (0u64, 0u64);
        let mut chunk: Vec<String> = Vec::with_capacity(chunk_lines);
        let mut eof = false;
        let mut line_no = 0u64;
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let read_failed = PlaceError::io("read", input);
        while !eof {
            chunk.clear();
            // A line over the limit ends the chunk; its error line follows the chunk's lines.
            let mut too_long = None;
            let mut chunk_bytes = 0u64;
            while chunk.len() < chunk_lines && chunk_bytes < MAX_CHUNK_BYTES {
                let mut line = Vec::new();
                match read_line_limited(&mut reader, &mut line, MAX_INPUT_LINE_BYTES).map_err(&read_failed)? {
                    InputLine::End => {
                        eof = true;
                        break;
                    }
                    InputLine::Read(n) => {
                        line_no += 1;
                        chunk_bytes += n;
                        done_bytes.fetch_add(n, Ordering::Relaxed);
                        let line = String::from_utf8(line).map_err(|_| {
                            read_failed(std::io::Error::new(
                                std::io::ErrorKind::InvalidData,
                                "stream did not contain valid UTF-8",
                            ))
                        })?;
                        if !line.trim().is_empty() {
                            chunk.push(line);
                        }
                    }
                    InputLine::TooLong(n) => {
                        line_no += 1;
                        done_bytes.fetch_add(n, Ordering::Relaxed);
                        too_long = Some(too_long_line(&line, &name, line_no));
                        break;
                    }
                }
            }
            let outputs = lines(&chunk).into_iter().chain(too_long.map(|text| (text, true)));
            for (text, failed) in outputs {
                writer
                    .write_all(text.as_bytes())
                    .and_then(|_| writer.write_all(b"\n"))
                    .map_err(PlaceError::io("write", &tmp))?;
                written += 1;
                errors += u64::from(failed);
            }
            let fraction =
                if total_bytes > 0 { done_bytes.load(Ordering::Relaxed) as f64 / total_bytes as f64 } else { 1.0 };
            progress.report(fraction.min(1.0) * 0.99, &format!("{written} lines done"));
        }
        writer.flush().map_err(PlaceError::io("write", &tmp))?;
        Places::finish_output(local_output.then_some(&self.places), partial, writer.get_ref(), out)?;
        Ok((written, errors))
    }
}

/// Why a batch job's files failed; its text is the job's failure reason, naming the location.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JobFilesError {
    #[error(transparent)]
    Storage(#[from] JobStorageError),
    #[error(transparent)]
    ObjectStorage(#[from] ObjectStorageError),
    #[error(transparent)]
    Place(#[from] PlaceError),
}

/// Longest batch input line read, in bytes (its line break not counted): 256 KiB, twice the
/// longest valid line (`{"userId":…,"itemList":[…500 ids of 256 characters…],"context":{…}}` is
/// about 130 KB). A longer line gets an error line of its own (the job goes on) and is skipped
/// without being held in memory.
pub(crate) const MAX_INPUT_LINE_BYTES: usize = 256 * 1024;
/// A chunk of input lines ends once it holds this many bytes (or its number of lines): with
/// [`MAX_INPUT_LINE_BYTES`], what a job holds of its input at a time.
const MAX_CHUNK_BYTES: u64 = 8 << 20;
/// How much of a line over the limit its error line echoes.
const ECHO_BYTES: usize = 200;

/// What [`read_line_limited`] read.
#[derive(Debug, PartialEq, Eq)]
enum InputLine {
    /// The input ended before another line.
    End,
    /// A line of this many bytes (line break included), all of it in the buffer.
    Read(u64),
    /// A line longer than the limit, of this many bytes (line break included): the buffer holds
    /// its first bytes only, the rest was skipped.
    TooLong(u64),
}

/// Reads the next line of `reader` into `line` (with its `\n`), holding at most `max` bytes of
/// it (plus the line break): a longer line is read on to its end without being kept.
fn read_line_limited(reader: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> std::io::Result<InputLine> {
    let mut total = 0u64;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(match total {
                0 => InputLine::End,
                n if n as usize > max => InputLine::TooLong(n),
                n => InputLine::Read(n),
            });
        }
        let (take, ends) = match available.iter().position(|&b| b == b'\n') {
            Some(p) => (p + 1, true),
            None => (available.len(), false),
        };
        let room = (max + 1).saturating_sub(line.len());
        line.extend_from_slice(&available[..take.min(room)]);
        reader.consume(take);
        total += take as u64;
        if ends {
            let content = total - 1;
            return Ok(if content as usize > max { InputLine::TooLong(total) } else { InputLine::Read(total) });
        }
    }
}

/// The error line of an input line over [`MAX_INPUT_LINE_BYTES`] (`start` holds its first bytes).
fn too_long_line(start: &[u8], file: &str, line_no: u64) -> String {
    let mut cut = start.len().min(ECHO_BYTES);
    while cut > 0 && std::str::from_utf8(&start[..cut]).is_err() {
        cut -= 1;
    }
    let echo = String::from_utf8_lossy(&start[..cut]).trim_end().to_string() + "...";
    let message = format!(
        "Line {line_no} of {file} is longer than {MAX_INPUT_LINE_BYTES} bytes, the limit for batch input lines; \
         the line was skipped."
    );
    format!(
        r#"{{"input":{},"output":null,"error":{}}}"#,
        serde_json::Value::String(echo),
        serde_json::Value::String(message)
    )
}

/// How a job turns its input lines into output lines: `(text, failed)` per input line, in order.
pub(crate) type LineBatch<'a> = dyn Fn(&[String]) -> Vec<(String, bool)> + Sync + 'a;

/// The outcome of a batch job that wrote all its outputs: ACTIVE, with the line counts kept in
/// the resource's bookkeeping.
pub(crate) fn job_done<T: serde::Serialize + serde::de::DeserializeOwned>(
    reko: &Reko,
    kind: ResourceKind,
    arn: &str,
    (lines, errors): (u64, u64),
) -> ServiceResult<Outcome> {
    let mut current = reko.load::<T>(kind, arn)?;
    if let Some(internal) = current.internal.as_object_mut() {
        internal.insert("linesWritten".into(), lines.into());
        internal.insert("lineErrors".into(), errors.into());
    }
    let mut update = update_of(&current, ResourceStatus::Active.as_str())?;
    set_status(&mut update.doc, ResourceStatus::Active.as_str());
    Ok(Outcome::Done { detail: format!("{lines} lines, {errors} with errors"), update: Some(update) })
}

/// The `input` part of an output line: a line that parsed is echoed verbatim, one that did not
/// as a JSON string.
pub(crate) fn echo_input(raw: &str, parsed: bool) -> String {
    if parsed {
        raw.trim().to_string()
    } else {
        serde_json::Value::String(raw.to_string()).to_string()
    }
}

/// What a batch job's creation established about its solution version.
pub(crate) struct CheckedJob {
    pub recipe: &'static reko_engine::RecipeInfo,
    pub dataset_group_arn: String,
    /// What the job may read and write (stored with it for its run).
    pub grant: crate::job_access::JobGrant,
}

impl Reko {
    /// The checks every batch job's creation makes: an ACTIVE solution version, locations Reko
    /// can read and write and the caller may use with `role_arn` (a `kmsKeyArn` only on
    /// `s3://`), and an ACTIVE filter of the same dataset group.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn check_batch_job(
        &self,
        operation: &str,
        solution_version_arn: &str,
        filter_arn: Option<&str>,
        input: &S3DataConfig,
        output: &S3DataConfig,
        scope: &crate::access::AccessScope,
        role_arn: &str,
    ) -> ServiceResult<CheckedJob> {
        let version = self.load::<SolutionVersion>(ResourceKind::SolutionVersion, solution_version_arn)?.wire;
        if version.status != ResourceStatus::Active.as_str() {
            return Err(ApiError::ResourceInUse(format!(
                "Solution version {solution_version_arn} is {}; {operation} needs an ACTIVE solution version.",
                version.status
            ))
            .into());
        }
        let recipe = crate::solution::recipe_for_arn(version.recipe_arn.as_deref().unwrap_or_default())?;
        let grant = self.authorize_job_locations(
            scope,
            Some(role_arn),
            &[
                (input.path.as_str(), "jobInput.s3DataSource.path"),
                (output.path.as_str(), "jobOutput.s3DataDestination.path"),
            ],
        )?;
        check_kms_location("jobInput.s3DataSource", input)?;
        check_kms_location("jobOutput.s3DataDestination", output)?;
        let group = version.dataset_group_arn.clone().unwrap_or_default();
        if let Some(filter_arn) = filter_arn {
            let filter = self.load::<Filter>(ResourceKind::Filter, filter_arn)?.wire;
            if filter.dataset_group_arn != group {
                return Err(ApiError::InvalidInput(format!(
                    "Filter {filter_arn} belongs to dataset group {}, not to {group} of the solution version.",
                    filter.dataset_group_arn
                ))
                .into());
            }
            if filter.status != ResourceStatus::Active.as_str() {
                return Err(ApiError::ResourceInUse(format!("Filter {filter_arn} is {}.", filter.status)).into());
            }
        }
        Ok(CheckedJob { recipe, dataset_group_arn: group, grant })
    }
}

/// `kmsKeyArn` of an S3DataConfig names the KMS key of the object store (SSE-KMS): it applies to
/// `s3://` locations only. (Inputs are decrypted by the store itself; outputs are written with it.)
pub(crate) fn check_kms_location(field: &str, config: &S3DataConfig) -> ServiceResult<()> {
    if config.kms_key_arn.is_some() && !DataLocation::parse(field, &config.path).is_s3() {
        return Err(ApiError::InvalidInput(format!(
            "{field}.kmsKeyArn applies to s3:// locations (server-side encryption by the object store); '{}' is a \
             local location.",
            config.path
        ))
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_lines_are_read_up_to_the_limit_only() {
        let long = "x".repeat(300);
        let text = format!("{{\"userId\":\"1\"}}\n{long}\n\nlast");
        // A reader handing out 7 bytes at a time: lines cross its buffer.
        let mut reader = std::io::BufReader::with_capacity(7, text.as_bytes());
        let mut reads = Vec::new();
        loop {
            let mut line = Vec::new();
            let got = read_line_limited(&mut reader, &mut line, 100).unwrap();
            assert!(line.len() <= 101, "at most the limit and a line break is kept: {}", line.len());
            let end = got == InputLine::End;
            reads.push((got, String::from_utf8(line).unwrap()));
            if end {
                break;
            }
        }
        assert_eq!(reads[0], (InputLine::Read(15), "{\"userId\":\"1\"}\n".to_string()));
        assert_eq!(reads[1].0, InputLine::TooLong(301));
        assert!(reads[1].1.starts_with("xxxx") && reads[1].1.len() == 101);
        assert_eq!(reads[2], (InputLine::Read(1), "\n".to_string()));
        assert_eq!(reads[3], (InputLine::Read(4), "last".to_string()));
        assert_eq!(reads[4].0, InputLine::End);
        // Exactly at the limit is fine, with or without a line break; one byte more is not.
        for (text, want) in [
            ("a".repeat(100) + "\n", InputLine::Read(101)),
            ("a".repeat(100), InputLine::Read(100)),
            ("a".repeat(101), InputLine::TooLong(101)),
        ] {
            let mut line = Vec::new();
            assert_eq!(read_line_limited(&mut text.as_bytes(), &mut line, 100).unwrap(), want);
        }
        // The error line echoes the start of the line and names the file and the line.
        let e: serde_json::Value = serde_json::from_str(&too_long_line(long.as_bytes(), "in.json", 2)).unwrap();
        assert_eq!(e["input"], format!("{}...", "x".repeat(ECHO_BYTES)));
        assert!(e["output"].is_null());
        assert_eq!(
            e["error"],
            "Line 2 of in.json is longer than 262144 bytes, the limit for batch input lines; the line was skipped."
        );
    }
}
