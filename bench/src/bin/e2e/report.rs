//! Summaries of the raw samples: medians over clean repetitions, ratios against the baselines
//! measured in the same run, the DESIGN.md §7 targets, and the printed table.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::Sample;

/// DESIGN.md §7: haul's dump wall time within this factor of one binary `COPY … TO STDOUT`,
/// and its load's within this factor of `COPY … FROM` the same rows pre-staged as files.
pub const WALL_TARGET: f64 = 1.25;

/// Which haul variant is set against which baselines (numerator, denominator).
pub const PAIRS: [(&str, &str); 14] = [
    ("haul", "copy"),
    ("haul", "copy2"),
    ("haul", "pg_dump"),
    ("haul", "pg_dump_z0"),
    ("haul_load", "pg_restore"),
    ("haul_load", "copy_from"),
    ("haul_load", "copy_from_pk"),
    ("haul_copy", "pgcopydb"),
    ("haul_my_dump", "mydumper"),
    ("haul_my_dump", "mydumper_c"),
    ("haul_my_dump", "mydumper_rows"),
    ("haul_my_load", "myloader"),
    ("haul_my_load", "myloader_rows"),
    ("haul_my_copy", "pgloader"),
];

/// DESIGN.md §7: MySQL → PostgreSQL at least this many times faster than pgloader.
pub const PGLOADER_SPEEDUP: f64 = 3.0;

/// The haul variants, each with the command it measures.
const HAUL_VARIANTS: [(&str, &str); 6] = [
    ("haul", "haul dump"),
    ("haul_load", "haul load"),
    ("haul_copy", "haul copy"),
    ("haul_my_dump", "haul dump (MySQL)"),
    ("haul_my_load", "haul load (MySQL)"),
    ("haul_my_copy", "haul copy (MySQL → PostgreSQL)"),
];

/// DESIGN.md §7: peak RSS under 64 MiB + 64 MiB per job.
pub fn rss_target_mib(jobs: u16) -> f64 {
    64.0 + 64.0 * f64::from(jobs)
}

/// One variant at one scale.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub variant: String,
    pub scale: f64,
    /// Repetitions used: clean ones, or every successful one if none was clean.
    pub n_used: usize,
    pub n_clean: usize,
    pub n_total: usize,
    /// True if no clean repetition existed and noisy ones were used.
    pub noisy_fallback: bool,
    pub wall_median_s: f64,
    pub wall_min_s: f64,
    pub wall_max_s: f64,
    pub client_cpu_median_s: f64,
    pub server_cpu_median_s: f64,
    /// Largest peak RSS over the repetitions used, MiB.
    pub peak_rss_max_mib: f64,
    pub output_bytes_median: Option<u64>,
    pub rows: Option<u64>,
}

pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Summaries of the timed (non-warm-up, non-RSS-only) samples, per (scale, variant).
pub fn summarize(samples: &[Sample]) -> Vec<Summary> {
    let mut groups: BTreeMap<(String, String), Vec<&Sample>> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.kind == "timed") {
        groups
            .entry((format!("{:08.3}", s.scale), s.variant.clone()))
            .or_default()
            .push(s);
    }
    let mut out = Vec::new();
    for ((_, variant), all) in groups {
        let ok: Vec<&Sample> = all.iter().copied().filter(|s| s.observed.exit_ok).collect();
        let clean: Vec<&Sample> = ok.iter().copied().filter(|s| !s.noisy).collect();
        let (used, fallback) = if clean.is_empty() {
            (ok.clone(), !ok.is_empty())
        } else {
            (clean.clone(), false)
        };
        let walls: Vec<f64> = used.iter().map(|s| s.observed.wall_s).collect();
        let mut bytes: Vec<f64> = used
            .iter()
            .filter_map(|s| s.output_bytes)
            .map(|b| b as f64)
            .collect();
        out.push(Summary {
            variant,
            scale: all[0].scale,
            n_used: used.len(),
            n_clean: clean.len(),
            n_total: all.len(),
            noisy_fallback: fallback,
            wall_median_s: median(&mut walls.clone()),
            wall_min_s: walls.iter().copied().fold(f64::INFINITY, f64::min),
            wall_max_s: walls.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            client_cpu_median_s: median(
                &mut used
                    .iter()
                    .map(|s| s.observed.client_cpu_s)
                    .collect::<Vec<_>>(),
            ),
            server_cpu_median_s: median(
                &mut used
                    .iter()
                    .map(|s| s.observed.server_cpu_s)
                    .collect::<Vec<_>>(),
            ),
            peak_rss_max_mib: used
                .iter()
                .map(|s| s.observed.max_rss_kib as f64 / 1024.0)
                .fold(0.0, f64::max),
            output_bytes_median: if bytes.is_empty() {
                None
            } else {
                Some(median(&mut bytes) as u64)
            },
            rows: used.iter().find_map(|s| s.rows),
        });
    }
    out
}

/// haul against a baseline: ratio of medians, and the median of per-repetition ratios (both
/// measured in the same repetition, so drift between repetitions cancels).
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// The haul variant (numerator).
    pub variant: String,
    /// The baseline (denominator).
    pub against: String,
    pub scale: f64,
    pub of_medians: f64,
    pub paired_median: Option<f64>,
}

pub fn ratios(samples: &[Sample], summaries: &[Summary]) -> Vec<Ratio> {
    let mut out = Vec::new();
    for (num, den) in PAIRS {
        for h in summaries
            .iter()
            .filter(|s| s.variant == num && s.n_used > 0)
        {
            let Some(b) = summaries
                .iter()
                .find(|b| b.variant == den && b.scale == h.scale && b.n_used > 0)
            else {
                continue;
            };
            // The same samples the summaries used: clean ones, or noisy ones if none was clean.
            let used = |s: &Sample, sum: &Summary| {
                s.kind == "timed"
                    && s.scale == h.scale
                    && s.variant == sum.variant
                    && s.observed.exit_ok
                    && (!s.noisy || sum.noisy_fallback)
            };
            let mut paired = Vec::new();
            for hs in samples.iter().filter(|s| used(s, h)) {
                let mut same_rep = samples.iter().filter(|s| used(s, b) && s.rep == hs.rep);
                if let Some(bs) = same_rep.next_back() {
                    paired.push(hs.observed.wall_s / bs.observed.wall_s);
                }
            }
            out.push(Ratio {
                variant: num.to_string(),
                against: den.to_string(),
                scale: h.scale,
                of_medians: h.wall_median_s / b.wall_median_s,
                paired_median: if paired.is_empty() {
                    None
                } else {
                    Some(median(&mut paired))
                },
            });
        }
    }
    out
}

/// One DESIGN.md §7 target, checked.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub name: String,
    pub limit: String,
    pub measured: String,
    pub holds: bool,
}

pub fn targets(samples: &[Sample], ratios: &[Ratio], jobs: u16) -> Vec<Target> {
    let mut out = Vec::new();
    for r in ratios {
        let (name, limit, holds) = match (r.variant.as_str(), r.against.as_str()) {
            ("haul", "copy") => (
                format!("dump wall ≤ {WALL_TARGET} × binary COPY TO"),
                format!("{WALL_TARGET:.2}×"),
                r.of_medians <= WALL_TARGET,
            ),
            ("haul", "pg_dump") => (
                format!("dump faster than pg_dump -Fd -j {jobs}"),
                "< 1.00×".into(),
                r.of_medians < 1.0,
            ),
            ("haul_load", "copy_from") => (
                format!("load wall ≤ {WALL_TARGET} × COPY FROM pre-staged binary files"),
                format!("{WALL_TARGET:.2}×"),
                r.of_medians <= WALL_TARGET,
            ),
            ("haul_load", "pg_restore") => (
                format!("load faster than pg_restore -j {jobs} (PKs included)"),
                "< 1.00×".into(),
                r.of_medians < 1.0,
            ),
            ("haul_copy", "pgcopydb") => (
                "copy faster than pgcopydb clone".into(),
                "< 1.00×".into(),
                r.of_medians < 1.0,
            ),
            ("haul_my_dump", "mydumper") => (
                format!("MySQL dump faster than mydumper -t {jobs}"),
                "< 1.00×".into(),
                r.of_medians < 1.0,
            ),
            ("haul_my_load", "myloader") => (
                format!("MySQL load faster than myloader -t {jobs}"),
                "< 1.00×".into(),
                r.of_medians < 1.0,
            ),
            ("haul_my_copy", "pgloader") => (
                format!("MySQL → PostgreSQL ≥ {PGLOADER_SPEEDUP}× faster than pgloader"),
                format!("≤ {:.2}×", 1.0 / PGLOADER_SPEEDUP),
                r.of_medians <= 1.0 / PGLOADER_SPEEDUP,
            ),
            _ => continue,
        };
        out.push(Target {
            name: format!("{name} (scale {})", r.scale),
            limit,
            measured: format!("{:.2}×", r.of_medians),
            holds,
        });
    }
    for (variant, command) in HAUL_VARIANTS {
        let peak = samples
            .iter()
            .filter(|s| s.variant == variant && s.observed.exit_ok && s.kind != "warmup")
            .map(|s| s.observed.max_rss_kib as f64 / 1024.0)
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
        let Some(peak) = peak else { continue };
        let limit = rss_target_mib(jobs);
        out.push(Target {
            name: format!("{command}: peak RSS ≤ 64 MiB + 64 MiB × {jobs} jobs (every run)"),
            limit: format!("{limit:.0} MiB"),
            measured: format!("{peak:.1} MiB"),
            holds: peak <= limit,
        });
    }
    out
}

/// Peak RSS of haul per scale (every haul run, timed or RSS-only).
#[derive(Debug, Clone, Serialize)]
pub struct RssAtScale {
    pub scale: f64,
    pub rows: Option<u64>,
    pub runs: usize,
    pub peak_rss_max_mib: f64,
    pub peak_rss_min_mib: f64,
    pub wall_median_s: f64,
}

pub fn rss_per_scale(samples: &[Sample]) -> Vec<RssAtScale> {
    let mut groups: BTreeMap<String, Vec<&Sample>> = BTreeMap::new();
    for s in samples
        .iter()
        .filter(|s| s.variant == "haul" && s.observed.exit_ok && s.kind != "warmup")
    {
        groups
            .entry(format!("{:012.4}", s.scale))
            .or_default()
            .push(s);
    }
    groups
        .into_values()
        .map(|v| {
            let rss: Vec<f64> = v
                .iter()
                .map(|s| s.observed.max_rss_kib as f64 / 1024.0)
                .collect();
            RssAtScale {
                scale: v[0].scale,
                rows: v.iter().find_map(|s| s.rows),
                runs: v.len(),
                peak_rss_max_mib: rss.iter().copied().fold(0.0, f64::max),
                peak_rss_min_mib: rss.iter().copied().fold(f64::INFINITY, f64::min),
                wall_median_s: median(&mut v.iter().map(|s| s.observed.wall_s).collect::<Vec<_>>()),
            }
        })
        .collect()
}

fn mb(b: Option<u64>) -> String {
    b.map(|b| format!("{:.1}", b as f64 / 1e6))
        .unwrap_or_else(|| "-".into())
}

/// The summary table, ratios, targets and RSS per scale as Markdown (also printed).
pub fn markdown(
    summaries: &[Summary],
    ratios: &[Ratio],
    targets: &[Target],
    rss: &[RssAtScale],
) -> String {
    let mut s = String::new();
    s.push_str("| variant | scale | n (clean/total) | wall s median | min–max | client CPU s | server CPU s | peak RSS MiB | output MB | rows |\n");
    s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for x in summaries {
        if x.n_used == 0 {
            s.push_str(&format!(
                "| {} | {} | {}/{} | failed (see below) | - | - | - | - | - | - |\n",
                x.variant, x.scale, x.n_clean, x.n_total
            ));
            continue;
        }
        s.push_str(&format!(
            "| {} | {} | {}/{}{} | {:.2} | {:.2}–{:.2} | {:.1} | {:.1} | {:.1} | {} | {} |\n",
            x.variant,
            x.scale,
            x.n_clean,
            x.n_total,
            if x.noisy_fallback {
                " (noisy used)"
            } else {
                ""
            },
            x.wall_median_s,
            x.wall_min_s,
            x.wall_max_s,
            x.client_cpu_median_s,
            x.server_cpu_median_s,
            x.peak_rss_max_mib,
            mb(x.output_bytes_median),
            x.rows.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
        ));
    }
    if !ratios.is_empty() {
        s.push_str("\n| haul ÷ baseline | scale | ratio of medians | median of per-rep ratios |\n|---|---:|---:|---:|\n");
        for r in ratios {
            s.push_str(&format!(
                "| {} ÷ {} | {} | {:.2}× | {} |\n",
                r.variant,
                r.against,
                r.scale,
                r.of_medians,
                r.paired_median
                    .map(|p| format!("{p:.2}×"))
                    .unwrap_or_else(|| "-".into())
            ));
        }
    }
    if !rss.is_empty() {
        s.push_str("\n| haul peak RSS at scale | rows | runs | peak RSS MiB (max) | min | wall s median |\n|---:|---:|---:|---:|---:|---:|\n");
        for r in rss {
            s.push_str(&format!(
                "| {} | {} | {} | {:.1} | {:.1} | {:.2} |\n",
                r.scale,
                r.rows.map(|x| x.to_string()).unwrap_or_else(|| "-".into()),
                r.runs,
                r.peak_rss_max_mib,
                r.peak_rss_min_mib,
                r.wall_median_s
            ));
        }
    }
    if !targets.is_empty() {
        s.push_str("\n| target (DESIGN.md §7) | limit | measured | holds |\n|---|---:|---:|---|\n");
        for t in targets {
            s.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                t.name,
                t.limit,
                t.measured,
                if t.holds { "yes" } else { "**no**" }
            ));
        }
    }
    s
}

/// Failed runs (with the error and the tail of their stderr) and variants not measured, as
/// Markdown; empty if there were none.
pub fn failures(samples: &[Sample], skipped: &[(String, String)]) -> String {
    let mut s = String::new();
    let failed: Vec<&Sample> = samples.iter().filter(|s| !s.observed.exit_ok).collect();
    if !failed.is_empty() {
        s.push_str("\nFailed runs (left out of the figures):\n\n");
        for f in failed {
            s.push_str(&format!(
                "- `{}` (scale {}, {} rep {}, try {}):\n\n```text\n{}\n```\n",
                f.variant,
                f.scale,
                f.kind,
                f.rep,
                f.attempt,
                f.observed.error.as_deref().unwrap_or("(no message)").trim()
            ));
        }
    }
    if !skipped.is_empty() {
        s.push_str("\nNot measured:\n\n");
        for (v, why) in skipped {
            s.push_str(&format!("- `{v}`:\n\n```text\n{}\n```\n", why.trim()));
        }
    }
    let noisy: Vec<String> = samples
        .iter()
        .filter_map(|s| {
            let f = s.foreign_sessions.as_ref().filter(|f| !f.is_empty())?;
            Some(format!(
                "- `{}` rep {} try {}: {}\n",
                s.variant,
                s.rep,
                s.attempt,
                f.join("; ")
            ))
        })
        .collect();
    if !noisy.is_empty() {
        s.push_str("\nMySQL sessions of other jobs seen during a run (marked noisy):\n\n");
        s.push_str(&noisy.concat());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }

    fn sample(variant: &str, rep: usize, wall_s: f64, noisy: bool) -> Sample {
        Sample {
            variant: variant.into(),
            comparison: "load".into(),
            scale: 1.0,
            kind: "timed".into(),
            rep,
            attempt: 0,
            at_s: 0.0,
            gate: crate::procfs::QuietGate {
                waited_s: 1.0,
                last_busy_pct: 0.0,
                quiet: true,
            },
            noisy,
            commands: Vec::new(),
            observed: crate::measure::Observed {
                wall_s,
                max_rss_kib: 1024,
                client_cpu_s: 0.0,
                server_cpu_s: 0.0,
                machine_cpu_s: 0.0,
                other_cpu_s: 0.0,
                foreign_server_cpu_s: 0.0,
                iowait_s: 0.0,
                exit_ok: true,
                error: None,
                timeline: Vec::new(),
                client_threads: Vec::new(),
                client_top_threads: Vec::new(),
            },
            output_bytes: None,
            output_files: None,
            rows: None,
            chunks: None,
            chunk_seconds: None,
            rows_ok: None,
            pk_tables: None,
            foreign_sessions: None,
        }
    }

    #[test]
    fn ratios_pair_each_haul_variant_with_its_baselines() {
        let samples = [
            sample("haul_load", 0, 10.0, false),
            sample("pg_restore", 0, 20.0, false),
            sample("haul_load", 1, 12.0, false),
            sample("pg_restore", 1, 16.0, false),
            // Noisy, left out: a clean one exists.
            sample("pg_restore", 1, 99.0, true),
            sample("copy_from", 0, 5.0, false),
            sample("haul_copy", 0, 7.0, false),
        ];
        let sums = summarize(&samples);
        let r = ratios(&samples, &sums);
        let got: Vec<(&str, &str, f64, Option<f64>)> = r
            .iter()
            .map(|r| {
                (
                    r.variant.as_str(),
                    r.against.as_str(),
                    r.of_medians,
                    r.paired_median,
                )
            })
            .collect();
        // haul_copy has no pgcopydb to be set against; haul_load ÷ copy_from pairs rep 0 only.
        assert_eq!(
            got,
            [
                (
                    "haul_load",
                    "pg_restore",
                    11.0 / 18.0,
                    Some((0.5 + 0.75) / 2.0)
                ),
                ("haul_load", "copy_from", 11.0 / 5.0, Some(2.0)),
            ]
        );
        let t = targets(&samples, &r, 2);
        assert!(
            t.iter()
                .any(|t| t.name.starts_with("load faster") && t.holds)
        );
        assert!(
            t.iter()
                .any(|t| t.name.starts_with("load wall") && !t.holds)
        );
        assert!(t.iter().any(|t| t.name.starts_with("haul copy: peak RSS")));
    }

    #[test]
    fn mysql_targets_and_failures() {
        let mut failed = sample("haul_my_load", 0, 0.1, false);
        failed.observed.exit_ok = false;
        failed.observed.error = Some("exit 2\nnot supported yet".into());
        let samples = [
            sample("haul_my_copy", 0, 10.0, false),
            sample("pgloader", 0, 40.0, false),
            sample("haul_my_dump", 0, 10.0, false),
            sample("mydumper", 0, 8.0, false),
            sample("myloader", 0, 8.0, false),
            failed,
        ];
        let sums = summarize(&samples);
        let r = ratios(&samples, &sums);
        let t = targets(&samples, &r, 2);
        let held: Vec<(&str, bool)> = t
            .iter()
            .filter(|t| t.name.starts_with("MySQL"))
            .map(|t| (t.limit.as_str(), t.holds))
            .collect();
        // 10/40 = 0.25 ≤ 1/3 holds; 10/8 misses; no ratio for the failed load.
        assert_eq!(held, [("< 1.00×", false), ("≤ 0.33×", true)]);
        let md = markdown(&sums, &r, &t, &[]);
        assert!(
            md.contains("| haul_my_load | 1 | 0/1 | failed (see below) |"),
            "{md}"
        );
        let f = failures(&samples, &[("myloader_rows".into(), "no dump".into())]);
        assert!(
            f.contains("`haul_my_load`") && f.contains("not supported yet"),
            "{f}"
        );
        assert!(f.contains("Not measured") && f.contains("no dump"), "{f}");
        assert!(failures(&samples[..2], &[]).is_empty());
    }

    #[test]
    fn rss_target() {
        assert_eq!(rss_target_mib(2), 192.0);
    }
}
