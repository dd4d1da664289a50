//! Shared by the bench targets: criterion settings, an interleaved paired timing
//! loop for ratios that hold on a busy machine, and the summary tables.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use criterion::Criterion;

/// When this process started: estimates older than that belong to another run.
fn started() -> SystemTime {
    static STARTED: OnceLock<SystemTime> = OnceLock::new();
    *STARTED.get_or_init(SystemTime::now)
}

/// Where criterion writes (`$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`,
/// else the workspace's `target/criterion`), set explicitly so the summary can
/// read the estimates back.
pub fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target"));
    target.join("criterion")
}

/// Criterion as every bench here runs it: 30 samples over ~3 s after 1 s of
/// warm-up, overridable from the command line.
pub fn criterion() -> Criterion {
    started();
    Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .output_directory(&criterion_home())
        .configure_from_args()
}

/// Whether the binary runs as a benchmark (`cargo bench`), not as a quick
/// check (`cargo test --benches`, which runs every routine once).
pub fn is_bench_run() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// Whether to run the interleaved rounds and print the tables: a benchmark run,
/// but not `--profile-time` (profiling one routine).
pub fn wants_report() -> bool {
    is_bench_run() && !std::env::args().any(|arg| arg == "--profile-time")
}

/// Times `iters` runs of one case and returns the elapsed time.
pub type Routine<'a> = Box<dyn FnMut(u64) -> Duration + 'a>;

/// One measured case.
pub struct Case<'a> {
    /// Criterion's benchmark id.
    pub name: String,
    /// Statements one run executes (counted through SeaORM's metric callback).
    pub queries: usize,
    pub routine: Routine<'a>,
}

impl<'a> Case<'a> {
    pub fn new(name: impl Into<String>, queries: usize, routine: impl FnMut(u64) -> Duration + 'a) -> Self {
        Self { name: name.into(), queries, routine: Box::new(routine) }
    }
}

/// The names and query counts of `cases`, for the tables.
pub fn summaries(cases: &[Case<'_>]) -> Vec<(String, usize)> {
    cases.iter().map(|case| (case.name.clone(), case.queries)).collect()
}

/// Runs every case under criterion in the group `group`.
pub fn criterion_group(criterion: &mut Criterion, group: &str, cases: &mut [Case<'_>]) {
    let mut benchmark_group = criterion.benchmark_group(group);
    for case in cases.iter_mut() {
        let routine = &mut case.routine;
        benchmark_group.bench_function(case.name.as_str(), |b| b.iter_custom(&mut *routine));
    }
    benchmark_group.finish();
}

/// CPU time used so far by every thread of this process, in nanoseconds, from
/// `/proc/self/task/*/schedstat` (Linux; `None` elsewhere). Unlike wall time it
/// hardly changes when other processes compete for the cores.
pub fn process_cpu_ns() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let Ok(stat) = std::fs::read_to_string(task.ok()?.path().join("schedstat")) else { continue };
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// Per-run times of every case, measured round by round with the cases
/// interleaved (the order rotates each round), so that a burst of load from
/// other processes hits all cases alike; ratios are taken within a round.
pub struct Interleaved {
    names: Vec<String>,
    /// `times[round][case]`, wall-clock nanoseconds per run.
    times: Vec<Vec<f64>>,
    /// `cpu[round][case]`, CPU nanoseconds of this process per run (the
    /// database server's CPU, for PostgreSQL, is not in it).
    cpu: Vec<Vec<f64>>,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

fn paired(table: &[Vec<f64>], i: usize, j: usize) -> Option<(f64, f64, f64)> {
    let mut ratios: Vec<f64> = table.iter().map(|row| row[i] / row[j]).filter(|r| r.is_finite()).collect();
    if ratios.is_empty() {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let q = |p: f64| ratios[((ratios.len() - 1) as f64 * p).round() as usize];
    Some((median(ratios.clone()), q(0.25), q(0.75)))
}

impl Interleaved {
    /// `rounds` rounds; in each, every case runs a batch of about `batch`.
    pub fn measure(cases: &mut [Case<'_>], rounds: usize, batch: Duration) -> Self {
        // Calibrate the batch size of each case (after a warm-up run).
        let iters: Vec<u64> = cases
            .iter_mut()
            .map(|case| {
                (case.routine)(10);
                let probe = (case.routine)(20).as_secs_f64() / 20.0;
                ((batch.as_secs_f64() / probe.max(1e-9)) as u64).clamp(5, 1_000_000)
            })
            .collect();
        let n = cases.len();
        let mut times = Vec::with_capacity(rounds);
        let mut cpu = Vec::with_capacity(rounds);
        for round in 0..rounds {
            let mut row = vec![0.0; n];
            let mut cpu_row = vec![f64::NAN; n];
            for k in 0..n {
                let i = (round + k) % n;
                let cpu_before = process_cpu_ns();
                let elapsed = (cases[i].routine)(iters[i]);
                if let (Some(before), Some(after)) = (cpu_before, process_cpu_ns()) {
                    cpu_row[i] = after.saturating_sub(before) as f64 / iters[i] as f64;
                }
                row[i] = elapsed.as_nanos() as f64 / iters[i] as f64;
            }
            times.push(row);
            cpu.push(cpu_row);
        }
        Self { names: cases.iter().map(|case| case.name.clone()).collect(), times, cpu }
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Median time per run of `name`, ns.
    pub fn median(&self, name: &str) -> Option<f64> {
        let i = self.index(name)?;
        Some(median(self.times.iter().map(|row| row[i]).collect()))
    }

    /// Median CPU time per run of `name`, ns.
    pub fn cpu_median(&self, name: &str) -> Option<f64> {
        let i = self.index(name)?;
        let value = median(self.cpu.iter().map(|row| row[i]).filter(|v| v.is_finite()).collect());
        value.is_finite().then_some(value)
    }

    /// Median over rounds of `name / reference` (wall clock) within each round,
    /// with the interquartile range of those ratios.
    pub fn ratio(&self, name: &str, reference: &str) -> Option<(f64, f64, f64)> {
        paired(&self.times, self.index(name)?, self.index(reference)?)
    }

    /// The same for CPU time.
    pub fn cpu_ratio(&self, name: &str, reference: &str) -> Option<(f64, f64, f64)> {
        paired(&self.cpu, self.index(name)?, self.index(reference)?)
    }

    pub fn rounds(&self) -> usize {
        self.times.len()
    }
}

/// A mean and its confidence interval, in nanoseconds.
#[derive(Clone, Copy, Debug)]
pub struct Estimate {
    pub point: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Criterion's mean for `group/case` if this run measured it.
pub fn estimate(group: &str, case: &str) -> Option<Estimate> {
    let path = criterion_home().join(group).join(case).join("new").join("estimates.json");
    let modified = std::fs::metadata(&path).and_then(|meta| meta.modified()).ok()?;
    if modified < started() {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    let mean = &json["mean"];
    Some(Estimate {
        point: mean["point_estimate"].as_f64()?,
        lower: mean["confidence_interval"]["lower_bound"].as_f64()?,
        upper: mean["confidence_interval"]["upper_bound"].as_f64()?,
    })
}

/// `123.4 µs`
pub fn human(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.1} µs", ns / 1_000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Prints the Markdown table for `group`: per case, queries per request,
/// criterion's mean (95% CI) and the ratio of means to `baseline`, the
/// interleaved wall-clock median and paired ratio to `baseline` (IQR), and the
/// interleaved CPU time per request and paired CPU ratio (IQR).
pub fn print_table(group: &str, cases: &[(String, usize)], interleaved: &Interleaved, baseline: &str) {
    let base = estimate(group, baseline);
    println!(
        "| case | queries/request | criterion mean (95% CI) | ratio of means | interleaved median | \
         paired ratio (IQR) | CPU/request | paired CPU ratio (IQR) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, queries) in cases {
        let mean = estimate(group, name);
        let (mean_text, mean_ratio) = match (mean, base) {
            (Some(m), Some(b)) => (
                format!("{} ({} – {})", human(m.point), human(m.lower), human(m.upper)),
                format!("{:.2}×", m.point / b.point),
            ),
            (Some(m), None) => (human(m.point), "n/a".to_owned()),
            _ => ("not measured".to_owned(), "n/a".to_owned()),
        };
        let med = interleaved.median(name).map_or("n/a".to_owned(), human);
        let ratio = interleaved
            .ratio(name, baseline)
            .map_or("n/a".to_owned(), |(r, lo, hi)| format!("{r:.2}× ({lo:.2}–{hi:.2})"));
        let cpu = interleaved.cpu_median(name).map_or("n/a".to_owned(), human);
        let cpu_ratio = interleaved
            .cpu_ratio(name, baseline)
            .map_or("n/a".to_owned(), |(r, lo, hi)| format!("{r:.2}× ({lo:.2}–{hi:.2})"));
        println!("| {name} | {queries} | {mean_text} | {mean_ratio} | {med} | {ratio} | {cpu} | {cpu_ratio} |");
    }
}

/// Prints whether `case <op> factor × reference` held, on the paired ratio of
/// the interleaved rounds (criterion's ratio of means alongside).
pub fn target_check(group: &str, interleaved: &Interleaved, case: &str, op: &str, factor: f64, reference: &str) {
    let Some((ratio, lo, hi)) = interleaved.ratio(case, reference) else {
        println!("target {case} {op} {factor}× {reference}: not measured");
        return;
    };
    let met = if op == "<=" { ratio <= factor } else { ratio >= factor };
    let mut means = match (estimate(group, case), estimate(group, reference)) {
        (Some(a), Some(b)) => format!("; criterion means {:.2}×", a.point / b.point),
        _ => String::new(),
    };
    if let Some((cpu, _, _)) = interleaved.cpu_ratio(case, reference) {
        means.push_str(&format!("; CPU time {cpu:.2}×"));
    }
    println!(
        "target {case} {op} {factor}× {reference}: paired ratio {ratio:.2}× (IQR {lo:.2}–{hi:.2}, {} rounds){means} — {}",
        interleaved.rounds(),
        if met { "MET" } else { "NOT MET" }
    );
}
