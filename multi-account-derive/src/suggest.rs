//! "Did you mean" suggestions for misspelled field names.

/// The candidate closest to `name`, if one is close enough to be a likely typo.
pub(crate) fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// `"; did you mean `x`?"` or `"; fields of `Model`: a, b, c"`.
pub(crate) fn hint(name: &str, candidates: &[String]) -> String {
    match closest(name, candidates.iter().map(String::as_str)) {
        Some(candidate) => format!("did you mean `{candidate}`?"),
        None => format!("the fields of `Model` are: {}", candidates.join(", ")),
    }
}
