//! A Rust file as read: its text and its syntax tree, with the byte offsets
//! of what was parsed, so that an edit touches only the bytes it means to.

use std::path::{Path, PathBuf};

use proc_macro2::Span;

use crate::error::InstallError;

/// A parsed Rust source file.
pub(crate) struct SourceFile {
    pub(crate) path: PathBuf,
    pub(crate) text: String,
    pub(crate) syntax: syn::File,
}

impl SourceFile {
    pub(crate) fn parse(path: &Path, text: String) -> Result<Self, InstallError> {
        let syntax = syn::parse_file(&text).map_err(|error| {
            let start = error.span().start();
            InstallError::Unparsable {
                path: path.to_owned(),
                message: format!("line {}, column {}: {error}", start.line, start.column + 1),
            }
        })?;
        Ok(Self { path: path.to_owned(), text, syntax })
    }

    /// The byte offset where `span` starts in this file's text.
    pub(crate) fn start_of(&self, span: Span) -> usize {
        span.byte_range().start.min(self.text.len())
    }

    /// The byte offset where `span` ends.
    pub(crate) fn end_of(&self, span: Span) -> usize {
        span.byte_range().end.min(self.text.len())
    }

    /// The whitespace that starts the line holding `offset`.
    pub(crate) fn indent_at(&self, offset: usize) -> &str {
        let line_start = self.text[..offset].rfind('\n').map_or(0, |newline| newline + 1);
        let line = &self.text[line_start..];
        &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
    }
}

/// `text` with `insertions` (byte offset, text) made, the offsets all taken in
/// the original text.
pub(crate) fn insert_all(text: &str, mut insertions: Vec<(usize, String)>) -> String {
    insertions.sort_by_key(|(offset, _)| *offset);
    let mut out = String::with_capacity(text.len() + insertions.iter().map(|(_, add)| add.len()).sum::<usize>());
    let mut from = 0;
    for (offset, add) in insertions {
        out.push_str(&text[from..offset]);
        out.push_str(&add);
        from = offset;
    }
    out.push_str(&text[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_byte_offsets_in_the_file() {
        let text = "// é\nstruct Model { id: i32 }\n".to_owned();
        let file = SourceFile::parse(Path::new("x.rs"), text).unwrap();
        let syn::Item::Struct(item) = &file.syntax.items[0] else { panic!() };
        let at = file.start_of(item.ident.span());
        assert_eq!(&file.text[at..at + 5], "Model");
        assert_eq!(file.indent_at(at), "");
    }

    #[test]
    fn insertions_keep_everything_else() {
        assert_eq!(insert_all("abcd", vec![(4, "!".into()), (1, "-".into())]), "a-bcd!");
    }

    #[test]
    fn a_file_that_does_not_parse_names_the_place() {
        let error = SourceFile::parse(Path::new("src/user.rs"), "struct {".into()).err().unwrap();
        assert!(error.to_string().starts_with("src/user.rs: not valid Rust"), "{error}");
        assert!(error.to_string().contains("line 1"), "{error}");
    }
}
