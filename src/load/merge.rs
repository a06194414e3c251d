//! `scim-harness report merge FILES…`: combines the HdrHistogram interval logs of several shards
//! into exact percentiles.
//!
//! Percentiles cannot be averaged, but histograms can be added: the sum of the shards'
//! histograms is the histogram one process would have recorded, bucket for bucket, so the
//! merged percentiles are the single-process ones within HdrHistogram's precision. Intervals are
//! aligned by their offset from each log's BaseTime (each shard's own start), so the merged
//! per-second series lines up shards that started at slightly different wall times.

use super::metrics::{Percentiles, RAW_SUFFIX, merge_histogram, percentile_curve};
use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why logs could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{name}: not an HdrHistogram interval log (parse error at byte {offset})")]
    Parse { name: String, offset: usize },
    #[error("{name}: interval at {start_s:.3} s holds an undecodable histogram: {detail}")]
    Decode {
        name: String,
        start_s: f64,
        detail: String,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no interval histograms in the given logs")]
    Empty,
}

/// The merged histograms.
#[derive(Debug)]
pub struct Merged {
    pub files: Vec<String>,
    /// Per tag (operation kind; `.raw` for raw latencies), every interval of every log.
    pub tags: BTreeMap<String, Histogram<u64>>,
    /// Corrected latencies of every kind, per second offset from each log's start.
    pub seconds: BTreeMap<u64, Histogram<u64>>,
}

/// One merged tag, for output.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TagSummary {
    pub tag: String,
    pub percentiles: Percentiles,
    pub curve: Vec<(f64, u64)>,
}

/// One merged second.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MergedSecond {
    pub second: u64,
    pub count: u64,
    pub p99_us: u64,
}

/// The merge result as written to JSON and printed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MergeReport {
    pub files: Vec<String>,
    pub tags: Vec<TagSummary>,
    pub seconds: Vec<MergedSecond>,
}

/// Reads and merges interval log files.
pub fn merge_files(paths: &[impl AsRef<Path>]) -> Result<Merged, MergeError> {
    let mut logs = Vec::new();
    for p in paths {
        let p = p.as_ref();
        let bytes = std::fs::read(p).map_err(|source| MergeError::Read {
            path: p.to_path_buf(),
            source,
        })?;
        logs.push((p.display().to_string(), bytes));
    }
    merge_logs(&logs)
}

/// Merges interval logs given as (name, contents).
pub fn merge_logs(logs: &[(String, Vec<u8>)]) -> Result<Merged, MergeError> {
    let mut merged = Merged {
        files: logs.iter().map(|(n, _)| n.clone()).collect(),
        tags: BTreeMap::new(),
        seconds: BTreeMap::new(),
    };
    let mut de = Deserializer::new();
    let mut any = false;
    for (name, bytes) in logs {
        for entry in IntervalLogIterator::new(bytes) {
            let entry = entry.map_err(|e| match e {
                hdrhistogram::serialization::interval_log::LogIteratorError::ParseError {
                    offset,
                } => MergeError::Parse {
                    name: name.clone(),
                    offset,
                },
            })?;
            let LogEntry::Interval(iv) = entry else {
                continue;
            };
            let start_s = iv.start_timestamp().as_secs_f64();
            let decode_err = |detail: String| MergeError::Decode {
                name: name.clone(),
                start_s,
                detail,
            };
            let raw = base64::engine::general_purpose::STANDARD
                .decode(iv.encoded_histogram())
                .map_err(|e| decode_err(e.to_string()))?;
            let h: Histogram<u64> = de
                .deserialize(&mut raw.as_slice())
                .map_err(|e| decode_err(format!("{e:?}")))?;
            let tag = iv.tag().map(|t| t.as_str().to_string()).unwrap_or_default();
            if !tag.ends_with(RAW_SUFFIX) {
                merged
                    .seconds
                    .entry(iv.start_timestamp().as_secs())
                    .or_insert_with(merge_histogram)
                    .add(&h)
                    .map_err(|e| decode_err(format!("{e:?}")))?;
            }
            merged
                .tags
                .entry(tag)
                .or_insert_with(merge_histogram)
                .add(&h)
                .map_err(|e| decode_err(format!("{e:?}")))?;
            any = true;
        }
    }
    if !any {
        return Err(MergeError::Empty);
    }
    Ok(merged)
}

impl Merged {
    /// Percentiles per tag and the per-second series.
    pub fn report(&self) -> MergeReport {
        MergeReport {
            files: self.files.clone(),
            tags: self
                .tags
                .iter()
                .map(|(tag, h)| TagSummary {
                    tag: tag.clone(),
                    percentiles: Percentiles::of(h),
                    curve: percentile_curve(h),
                })
                .collect(),
            seconds: self
                .seconds
                .iter()
                .map(|(s, h)| MergedSecond {
                    second: *s,
                    count: h.len(),
                    p99_us: if h.is_empty() {
                        0
                    } else {
                        h.value_at_quantile(0.99)
                    },
                })
                .collect(),
        }
    }
}

impl MergeReport {
    /// A plain-text table of the merged percentiles, in milliseconds.
    pub fn table(&self) -> String {
        let mut s = format!(
            "Merged {} interval log(s): corrected = from the intended send time; .raw = from the actual send\n\n",
            self.files.len()
        );
        s.push_str(&format!(
            "{:<28} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
            "kind", "count", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms"
        ));
        let ms = |us: u64| us as f64 / 1000.0;
        for t in &self.tags {
            let p = &t.percentiles;
            s.push_str(&format!(
                "{:<28} {:>10} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}\n",
                t.tag,
                p.count,
                ms(p.p50_us),
                ms(p.p90_us),
                ms(p.p95_us),
                ms(p.p99_us),
                ms(p.p999_us),
                ms(p.max_us)
            ));
        }
        s
    }
}
