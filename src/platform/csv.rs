//! The one CSV writer of the desk: every CSV it produces (the monthly audit report, the public
//! transparency report) goes through [`CsvOut`], which neutralises formulas in every cell.
//!
//! A spreadsheet treats a cell beginning with `=`, `+`, `-` or `@` as a formula, and some treat
//! a leading tab or carriage return the same way; a search reason such as
//! `=HYPERLINK("http://…","x")` would then run in the auditor's spreadsheet. Such a cell is
//! written with a `'` in front (OWASP, "CSV Injection"), which the spreadsheet shows as text.
//! A plain number (`-3`, `+1.5`) and a lone `-` cannot be formulas and are written as they are.

use std::borrow::Cow;

/// A cell as written: `'` + the cell when it begins with `=`, `+`, `-`, `@`, tab or CR (and is
/// not a plain number or a lone `-`); otherwise unchanged.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let Some(first) = cell.chars().next() else {
        return Cow::Borrowed(cell);
    };
    let risky = matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r');
    if !risky || cell == "-" || is_plain_number(cell) {
        return Cow::Borrowed(cell);
    }
    Cow::Owned(format!("'{cell}"))
}

/// A sign followed by digits with at most one `.` (`-12`, `+0.5`).
fn is_plain_number(cell: &str) -> bool {
    let rest = &cell[1..];
    matches!(cell.as_bytes().first(), Some(b'-' | b'+'))
        && rest.bytes().any(|b| b.is_ascii_digit())
        && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && rest.bytes().filter(|b| *b == b'.').count() <= 1
}

/// A CSV document in memory (UTF-8, `,` separated, quoted where needed by the `csv` crate),
/// every cell passed through [`neutralise`].
pub struct CsvOut {
    w: ::csv::Writer<Vec<u8>>,
}

impl Default for CsvOut {
    fn default() -> Self {
        CsvOut::new()
    }
}

impl CsvOut {
    /// An empty document.
    pub fn new() -> CsvOut {
        CsvOut {
            w: ::csv::Writer::from_writer(Vec::new()),
        }
    }

    /// Appends one row. Errors: the `csv` crate's (none are expected writing to memory).
    pub fn row<I, S>(&mut self, cells: I) -> anyhow::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| neutralise(c.as_ref()).into_owned())
            .collect();
        self.w.write_record(&cells)?;
        Ok(())
    }

    /// The document's bytes. Errors: flushing the `csv` crate's buffer.
    pub fn finish(self) -> anyhow::Result<Vec<u8>> {
        self.w
            .into_inner()
            .map_err(|e| anyhow::anyhow!("Failed to finish the CSV: {}", e.error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for (cell, out) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+cmd", "'+cmd"),
            ("-2+3+cmd", "'-2+3+cmd"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
        ] {
            assert_eq!(neutralise(cell), out);
        }
    }

    #[test]
    fn ordinary_cells_are_unchanged() {
        for cell in [
            "",
            "-",
            "-3",
            "+1.5",
            "12",
            "robbery 2026-01-02",
            "a=b",
            "2026-01-02",
        ] {
            assert_eq!(neutralise(cell), cell);
        }
    }

    #[test]
    fn the_document_carries_the_quote() {
        let mut c = CsvOut::new();
        c.row(["reason", "n"]).unwrap();
        c.row(["=HYPERLINK(\"http://x\")", "-1"]).unwrap();
        let s = String::from_utf8(c.finish().unwrap()).unwrap();
        assert_eq!(s, "reason,n\n\"'=HYPERLINK(\"\"http://x\"\")\",-1\n");
    }
}
