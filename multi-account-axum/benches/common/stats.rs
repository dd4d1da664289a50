//! The statistics of the interleaved benchmarks: a median and quartiles of
//! per-round figures. Shared by `request_cost` and the peer benchmark (its own
//! workspace, which includes this file by path).

/// The median of `values` (sorted in place).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The lower and upper quartiles of `values` (sorted in place).
pub fn quartiles(values: &mut [f64]) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    (values[values.len() / 4], values[values.len() * 3 / 4])
}
