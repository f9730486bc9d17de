//! Printing results on stdout: aligned tables for people, JSON for programs.
//!
//! JSON mirrors the API: its camelCase field names, amounts as JSON numbers with exactly the
//! digits received (`carbonext_domain::json`). Tables print every amount with the digits it
//! arrived with.
//!
//! ```
//! use carbonext_cli::output::Table;
//!
//! let mut table = Table::new(["currency", "balance"]);
//! table.row(["BRL", "12.50"]);
//! table.row(["USD", "0.02"]);
//! assert_eq!(table.to_string(), "CURRENCY  BALANCE\nBRL       12.50\nUSD       0.02\n");
//! ```

use std::fmt;
use std::io::Write;

use serde::Serialize;

use crate::cli::OutputMode;
use crate::exit::{CliError, ExitCode};

/// Rows under a header, columns padded to the widest cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names (printed upper-case).
    pub fn new<I, S>(headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: &[String], upper: bool| -> fmt::Result {
            let mut text = String::new();
            for (i, width) in widths.iter().enumerate() {
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                let cell = if upper {
                    cell.to_uppercase()
                } else {
                    cell.to_owned()
                };
                if i + 1 < columns {
                    let pad = width.saturating_sub(cell.chars().count());
                    text.push_str(&cell);
                    text.push_str(&" ".repeat(pad + 2));
                } else {
                    text.push_str(&cell);
                }
            }
            writeln!(f, "{}", text.trim_end())
        };
        line(f, &self.headers, true)?;
        for row in &self.rows {
            line(f, row, false)?;
        }
        Ok(())
    }
}

/// Field/value pairs of one resource, labels aligned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    fields: Vec<(String, String)>,
}

impl Details {
    /// No fields yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a field.
    pub fn field(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push((label.into(), value.into()));
        self
    }

    /// Adds a field when `value` is present.
    pub fn optional<V: fmt::Display>(self, label: impl Into<String>, value: Option<V>) -> Self {
        match value {
            Some(value) => self.field(label, value.to_string()),
            None => self,
        }
    }
}

impl fmt::Display for Details {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .fields
            .iter()
            .map(|(label, _)| label.chars().count())
            .max()
            .unwrap_or(0);
        for (label, value) in &self.fields {
            let pad = width - label.chars().count();
            writeln!(f, "{label}:{}  {value}", " ".repeat(pad))?;
        }
        Ok(())
    }
}

/// Writes results in the chosen [`OutputMode`].
#[derive(Debug, Clone, Copy)]
pub struct Output {
    mode: OutputMode,
}

impl Output {
    /// Printing in `mode`.
    pub fn new(mode: OutputMode) -> Self {
        Self { mode }
    }

    /// The mode.
    pub fn mode(&self) -> OutputMode {
        self.mode
    }

    /// Whether results are JSON.
    pub fn is_json(&self) -> bool {
        self.mode == OutputMode::Json
    }

    /// Prints `value` as JSON, or the human text `table` builds.
    pub fn show<T, D>(&self, value: &T, table: impl FnOnce(&T) -> D) -> Result<(), CliError>
    where
        T: Serialize + ?Sized,
        D: fmt::Display,
    {
        match self.mode {
            OutputMode::Json => print_json(value),
            OutputMode::Table => write_stdout(&table(value).to_string()),
        }
    }
}

/// Pretty JSON of `value` on stdout, followed by a newline; amounts are exact JSON numbers.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), CliError> {
    let text = carbonext_domain::json::to_string_pretty(value)
        .map_err(|e| CliError::unavailable(format!("could not write JSON: {e}")))?;
    write_stdout(&format!("{text}\n"))
}

/// Writes `text` on stdout.
pub fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(stdout_error)
}

/// The error for a failed write on stdout. A closed pipe (`carbonext … | head`) ends the
/// command quietly with exit code 0, as the reader asked for no more.
pub fn stdout_error(error: std::io::Error) -> CliError {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        return CliError::new(ExitCode::Ok, "stdout was closed");
    }
    CliError::unavailable(format!("could not write to stdout: {error}"))
}

/// A message for people on stderr (never results: those go to stdout).
pub fn note(text: impl fmt::Display) {
    eprintln!("{text}");
}

/// `value` or `-` when absent.
pub fn or_dash<T: fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_on_the_widest_cell_and_keep_amounts_verbatim() {
        let mut table = Table::new(["id", "vcuAmount", "totalPrice"]);
        table.row(["a", "0.020", "195.7295744096000"]);
        table.row(["bbbb", "3", "-"]);
        assert_eq!(
            table.to_string(),
            "ID    VCUAMOUNT  TOTALPRICE\n\
             a     0.020      195.7295744096000\n\
             bbbb  3          -\n"
        );
    }

    #[test]
    fn details_align_labels() {
        let details = Details::new()
            .field("id", "1")
            .field("total price", "37.53443683424")
            .optional("missing", None::<String>);
        assert_eq!(
            details.to_string(),
            "id:           1\ntotal price:  37.53443683424\n"
        );
    }
}
