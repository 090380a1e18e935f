//! Reading CSV files with a header row, row by row, shared by the CSV readers.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use csv::{ByteRecord, StringRecord};

use crate::catalog::{Error, Result};

/// One CSV row: the line it starts on, and its fields or why they could not be read.
pub(crate) type CsvRow = (u64, std::result::Result<StringRecord, String>);

/// The rows of a CSV file with a header row, each with the line it starts on. Shared by the CSV
/// readers (Amazon.in, Instacart).
pub(crate) struct CsvRows {
    reader: csv::Reader<Box<dyn BufRead>>,
    path: PathBuf,
    raw: ByteRecord,
}

impl CsvRows {
    /// Reads the header row. Rows may have more or fewer fields than the header.
    pub(crate) fn new(input: Box<dyn BufRead>, path: &Path) -> Result<(CsvRows, StringRecord)> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        let headers = reader
            .byte_headers()
            .map_err(|e| csv_error(path, e))?
            .clone();
        let headers = StringRecord::from_byte_record_lossy(headers);
        let rows = CsvRows {
            reader,
            path: path.to_path_buf(),
            raw: ByteRecord::new(),
        };
        Ok((rows, headers))
    }

    /// The next row and its 1-based starting line; a row that is not UTF-8 is an `Err` reason
    /// (that row's rejection, not the end of the file). `Err` from the outer result is I/O.
    pub(crate) fn next_row(&mut self) -> Result<Option<CsvRow>> {
        // Byte records, converted here, so that one bad row does not end the file.
        if !self
            .reader
            .read_byte_record(&mut self.raw)
            .map_err(|e| csv_error(&self.path, e))?
        {
            return Ok(None);
        }
        let line = self.raw.position().map_or(0, |p| p.line());
        let row = StringRecord::from_byte_record(std::mem::take(&mut self.raw))
            .map_err(|e| format!("row is not valid UTF-8 ({})", e.utf8_error()));
        Ok(Some((line, row)))
    }
}

/// The index of the column named `name` in the header row.
pub(crate) fn column(headers: &StringRecord, name: &str) -> Option<usize> {
    headers
        .iter()
        .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
}

/// Like [`column`], for a column the reader cannot do without.
pub(crate) fn required_column(
    headers: &StringRecord,
    name: &str,
) -> std::result::Result<usize, String> {
    column(headers, name).ok_or_else(|| format!("no '{name}' column in the header row"))
}

/// A CSV error that stops the file: I/O, or the header row itself.
fn csv_error(path: &Path, e: csv::Error) -> Error {
    let reason = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::Io {
            path: path.to_path_buf(),
            source,
        },
        _ => Error::Malformed {
            path: path.to_path_buf(),
            reason,
        },
    }
}
