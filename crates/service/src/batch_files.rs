//! The files of a batch job (inference or segments, reference §9): JSON Lines inputs from a
//! local path, `file://` URL or `s3://` location (downloaded to a scratch folder), one
//! `<input file name>.out` per input written locally and uploaded at the end when the output
//! location is object storage.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::data_roots::{DataAccess, Places};
use crate::error::{ServiceError, ServiceResult};
use crate::object_storage::{is_object_location, Scratch};
use crate::resource::{update_of, ResourceKind};
use crate::tasks::{set_status, Outcome, Progress};
use crate::Reko;
use reko_api::{status, Filter, S3DataConfig, SolutionVersion};

/// Where a job reads and writes.
pub(crate) struct JobFiles {
    /// Input files, in order.
    pub inputs: Vec<PathBuf>,
    out_dir: PathBuf,
    input_downloaded: bool,
    output_location: String,
    /// Where local inputs and outputs may be: every local file is opened through it.
    places: Places,
    /// SSE-KMS key of the output (`jobOutput.s3DataDestination.kmsKeyArn`).
    output_kms_key: Option<String>,
    /// Kept alive for the job: removed (downloads, staged outputs) when dropped.
    _scratch: Scratch,
}

impl JobFiles {
    /// Resolves (and downloads) the inputs and prepares the output folder; the error is the
    /// job's failure reason, naming the location. Local locations are checked again here (they
    /// were checked at creation; a link may have been swapped in since).
    pub(crate) fn open(reko: &Reko, input: &S3DataConfig, output: &S3DataConfig) -> Result<JobFiles, String> {
        let (input_location, output_location) = (input.path.as_str(), output.path.as_str());
        let scratch = Scratch::new(&reko.config().data_dir);
        let places = reko.data_places();
        let input_downloaded = is_object_location(input_location);
        let inputs = if input_downloaded {
            reko.config().object_storage.download(input_location, &scratch.0.join("in"))?
        } else {
            places.input_files(input_location, "jobInput.s3DataSource.path")?
        };
        let out_dir = if is_object_location(output_location) {
            let dir = scratch.0.join("out");
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create the output folder {}: {e}", dir.display()))?;
            dir
        } else {
            places.output_location(output_location, "jobOutput.s3DataDestination.path")?
        };
        Ok(JobFiles {
            inputs,
            out_dir,
            input_downloaded,
            output_location: output_location.to_string(),
            places,
            output_kms_key: output.kms_key_arn.clone(),
            _scratch: scratch,
        })
    }

    /// Opens an input: a downloaded one in the job's scratch folder, a local one the checked way.
    pub(crate) fn open_input(&self, input: &Path) -> Result<std::fs::File, String> {
        if self.input_downloaded {
            std::fs::File::open(input).map_err(|e| format!("cannot read {}: {e}", input.display()))
        } else {
            self.places.open_or_reason(input, DataAccess::Read)
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
        reko: &Reko,
        chunk_lines: usize,
        lines: &LineBatch<'_>,
        progress: &mut Progress<'_>,
    ) -> Result<(u64, u64), String> {
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
        if is_object_location(&self.output_location) {
            reko.config().object_storage.upload(&outputs, &self.output_location, self.output_kms_key.as_deref())?;
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
    ) -> Result<(u64, u64), String> {
        let file = self.open_input(input)?;
        let tmp = out.with_extension("out.partial");
        let local_output = !is_object_location(&self.output_location);
        let writer = if local_output {
            self.places.open_or_reason(&tmp, DataAccess::Write)?
        } else {
            std::fs::File::create(&tmp).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?
        };
        let mut writer = BufWriter::new(writer);
        let mut reader = std::io::BufReader::new(file);
        let (mut written, mut errors) = (0u64, 0u64);
        let mut chunk: Vec<String> = Vec::with_capacity(chunk_lines);
        let mut eof = false;
        while !eof {
            chunk.clear();
            while chunk.len() < chunk_lines {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => {
                        done_bytes.fetch_add(n as u64, Ordering::Relaxed);
                        if !line.trim().is_empty() {
                            chunk.push(line);
                        }
                    }
                    Err(e) => return Err(format!("cannot read {}: {e}", input.display())),
                }
            }
            for (text, failed) in lines(&chunk) {
                writer
                    .write_all(text.as_bytes())
                    .and_then(|_| writer.write_all(b"\n"))
                    .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
                written += 1;
                errors += u64::from(failed);
            }
            let fraction =
                if total_bytes > 0 { done_bytes.load(Ordering::Relaxed) as f64 / total_bytes as f64 } else { 1.0 };
            progress.report(fraction.min(1.0) * 0.99, &format!("{written} lines done"));
        }
        writer.flush().map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        writer.get_ref().sync_all().map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        if local_output {
            self.places.rename(writer.get_ref(), &tmp, out)?;
        } else {
            std::fs::rename(&tmp, out).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        }
        Ok((written, errors))
    }
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
    let mut update = update_of(&current, status::ACTIVE)?;
    set_status(&mut update.doc, status::ACTIVE);
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
}

impl Reko {
    /// The checks every batch job's creation makes: an ACTIVE solution version, locations Reko
    /// can read and write (a `kmsKeyArn` only on `s3://`), and an ACTIVE filter of the same
    /// dataset group.
    pub(crate) fn check_batch_job(
        &self,
        operation: &str,
        solution_version_arn: &str,
        filter_arn: Option<&str>,
        input: &S3DataConfig,
        output: &S3DataConfig,
    ) -> ServiceResult<CheckedJob> {
        let version = self.load::<SolutionVersion>(ResourceKind::SolutionVersion, solution_version_arn)?.wire;
        if version.status != status::ACTIVE {
            return Err(ServiceError::InUse(format!(
                "Solution version {solution_version_arn} is {}; {operation} needs an ACTIVE solution version.",
                version.status
            )));
        }
        let recipe = crate::solution::recipe_for_arn(version.recipe_arn.as_deref().unwrap_or_default())?;
        self.check_data_location(&input.path, "jobInput.s3DataSource.path")?;
        self.check_data_location(&output.path, "jobOutput.s3DataDestination.path")?;
        check_kms_location("jobInput.s3DataSource", input)?;
        check_kms_location("jobOutput.s3DataDestination", output)?;
        let group = version.dataset_group_arn.clone().unwrap_or_default();
        if let Some(filter_arn) = filter_arn {
            let filter = self.load::<Filter>(ResourceKind::Filter, filter_arn)?.wire;
            if filter.dataset_group_arn != group {
                return Err(ServiceError::Invalid(format!(
                    "Filter {filter_arn} belongs to dataset group {}, not to {group} of the solution version.",
                    filter.dataset_group_arn
                )));
            }
            if filter.status != status::ACTIVE {
                return Err(ServiceError::InUse(format!("Filter {filter_arn} is {}.", filter.status)));
            }
        }
        Ok(CheckedJob { recipe, dataset_group_arn: group })
    }
}

/// `kmsKeyArn` of an S3DataConfig names the KMS key of the object store (SSE-KMS): it applies to
/// `s3://` locations only. (Inputs are decrypted by the store itself; outputs are written with it.)
pub(crate) fn check_kms_location(field: &str, config: &S3DataConfig) -> ServiceResult<()> {
    if config.kms_key_arn.is_some() && !is_object_location(&config.path) {
        return Err(ServiceError::Invalid(format!(
            "{field}.kmsKeyArn applies to s3:// locations (server-side encryption by the object store); '{}' is a \
             local location.",
            config.path
        )));
    }
    Ok(())
}
