//! The file of `offset batch`: its separator, its columns, its rows as requests, and the
//! physical line each row starts on.
//!
//! A file is CSV with `,` between fields, or — as pt-BR spreadsheets save it — `;` between
//! fields and a decimal comma (`1,25`); the separator is read from the header line. In a `;`
//! file a number with a dot (`1.234`: thousands or decimals?) is refused with its line rather
//! than guessed. Lines are counted from the bytes, so LF, CRLF and quoted fields spanning
//! lines all give the line a person sees in an editor.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use carbonext_domain::calculator::{Route, TransportId};
use carbonext_domain::offset::{EmissionSource, OffsetRequest};
use carbonext_domain::{Decimal, OrderKey};

use super::build;
use crate::cli::{parse_positive, parse_tonnes, parse_transport, OffsetCommon, RecipientArgs};
use crate::exit::CliError;

/// Most bad rows listed on stderr; the rest are counted.
const BAD_ROWS_SHOWN: usize = 100;

/// The columns a batch file may have, by canonical name and the spellings accepted.
const COLUMNS: [(&str, &[&str]); 15] = [
    ("key", &["key"]),
    ("kind", &["kind"]),
    ("transport", &["transport", "type"]),
    ("from", &["from", "origin"]),
    ("to", &["to", "destination"]),
    ("meters", &["meters", "distance"]),
    ("units", &["units", "passengers", "grams"]),
    ("tonnes", &["tonnes", "tco2eq"]),
    ("note", &["note"]),
    ("recipient_name", &["recipient_name"]),
    ("recipient_email", &["recipient_email"]),
    ("recipient_tax_id", &["recipient_tax_id"]),
    ("retirement_name", &["retirement_name"]),
    ("retirement_email", &["retirement_email"]),
    ("retirement_tax_id", &["retirement_tax_id"]),
];

/// Where each known column is in the file.
#[derive(Debug, Clone)]
pub(super) struct Header {
    width: usize,
    positions: HashMap<&'static str, usize>,
    /// A `;` file: numbers are written `1,25`.
    decimal_comma: bool,
}

impl Header {
    pub(super) fn new(record: &csv::StringRecord, decimal_comma: bool) -> Result<Self, String> {
        let mut positions = HashMap::new();
        for (index, name) in record.iter().enumerate() {
            let spelled: String = name
                .trim()
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c == '-' || c == ' ' { '_' } else { c })
                .collect();
            let canonical = COLUMNS
                .iter()
                .find(|(_, spellings)| spellings.contains(&spelled.as_str()))
                .map(|(canonical, _)| *canonical)
                .ok_or_else(|| {
                    format!(
                        "unknown column `{}`; the columns are {}",
                        name.trim(),
                        COLUMNS.map(|(c, _)| c).join(", ")
                    )
                })?;
            if positions.insert(canonical, index).is_some() {
                return Err(format!("column `{canonical}` appears twice"));
            }
        }
        if !positions.contains_key("key") {
            return Err("a `key` column is required".to_owned());
        }
        Ok(Self {
            width: record.len(),
            positions,
            decimal_comma,
        })
    }

    /// The cell of `column` in `record`, trimmed; `None` when absent or empty.
    fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        let index = *self.positions.get(column)?;
        record.get(index).map(str::trim).filter(|v| !v.is_empty())
    }

    /// The number in `column` as plain decimal text (`1.25`). In a `;` file the decimal
    /// separator is the comma; a dot is refused, since `1.234` may mean thousands.
    fn number(&self, record: &csv::StringRecord, column: &str) -> Result<String, String> {
        let text = self
            .get(record, column)
            .ok_or_else(|| format!("`{column}` is empty"))?;
        if !self.decimal_comma {
            return Ok(text.to_owned());
        }
        if text.contains('.') {
            return Err(format!(
                "{column}: `{}` has a dot, which a `;` file does not use (thousands or \
                 decimals?); write decimals with a comma (1,25) and no thousands separator",
                text.chars().take(40).collect::<String>()
            ));
        }
        Ok(text.replace(',', "."))
    }
}

/// The request of one data row, or what is wrong with it.
pub(super) fn row_request(
    header: &Header,
    record: &csv::StringRecord,
    common: &OffsetCommon,
) -> Result<OffsetRequest, String> {
    if record.len() != header.width {
        return Err(format!(
            "{} fields where the header has {}",
            record.len(),
            header.width
        ));
    }
    let cell = |column: &str| header.get(record, column);
    let required = |column: &str| cell(column).ok_or_else(|| format!("`{column}` is empty"));
    let key = OrderKey::new(required("key")?).map_err(|e| e.to_string())?;
    let kind = match cell("kind") {
        Some(kind) => kind.to_ascii_lowercase(),
        // Inferred from the columns filled in.
        None if cell("tonnes").is_some() => "tonnes".to_owned(),
        None if cell("from").is_some() || cell("to").is_some() => "route".to_owned(),
        None if cell("meters").is_some() => "distance".to_owned(),
        None => return Err("`kind` is empty and no tonnes, route or distance is given".to_owned()),
    };
    let transport = || -> Result<TransportId, String> {
        parse_transport(required("transport")?).map_err(|e| format!("transport: {e}"))
    };
    let units = || -> Result<Decimal, String> {
        parse_positive(&header.number(record, "units")?).map_err(|e| format!("units: {e}"))
    };
    let source = match kind.as_str() {
        "route" => {
            let route =
                Route::from_codes(required("from")?, required("to")?).map_err(|e| e.to_string())?;
            EmissionSource::route(transport()?, route, units()?)
        }
        "distance" => {
            let meters = parse_positive(&header.number(record, "meters")?)
                .map_err(|e| format!("meters: {e}"))?;
            EmissionSource::distance(transport()?, meters, units()?)
        }
        "tonnes" => EmissionSource::tonnes(parse_tonnes(&header.number(record, "tonnes")?)?),
        other => {
            return Err(format!(
                "kind `{}` is not route, distance or tonnes",
                other.chars().take(40).collect::<String>()
            ))
        }
    }
    .map_err(|e| e.to_string())?;
    let text = |column: &str| cell(column).map(str::to_owned);
    let recipient = RecipientArgs {
        recipient_name: text("recipient_name"),
        recipient_email: text("recipient_email"),
        recipient_tax_id: text("recipient_tax_id"),
        retirement_name: text("retirement_name"),
        retirement_email: text("retirement_email"),
        retirement_tax_id: text("retirement_tax_id"),
    }
    .to_recipient();
    build(source, key, common, text("note"), recipient).map_err(|e| e.to_string())
}

/// Byte offsets of the newlines read so far and not yet passed: the reader wrapper records
/// them, [`Newlines::line_at`] turns a record's byte offset into its line. Queries come in
/// file order, so only the newlines of the reader's buffer are ever held.
#[derive(Debug, Default)]
struct Newlines {
    pending: VecDeque<u64>,
    passed: u64,
    read: u64,
}

impl Newlines {
    /// The 1-based line of the byte at `offset` (not before any earlier query's). A newline
    /// *at* `offset` is counted too: after `\r\n` the csv reader starts the next record at
    /// the `\n`, which still ends the line before.
    fn line_at(&mut self, offset: u64) -> u64 {
        while self
            .pending
            .front()
            .is_some_and(|&newline| newline <= offset)
        {
            self.pending.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

/// A reader that notes where each newline is.
struct LineCounter<R> {
    inner: R,
    newlines: Arc<Mutex<Newlines>>,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut newlines = self.newlines.lock().unwrap_or_else(|e| e.into_inner());
        let start = newlines.read;
        newlines.pending.extend(
            buf[..n]
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| start + i as u64),
        );
        newlines.read += n as u64;
        Ok(n)
    }
}

/// A batch file and how it is written. `-` is stdin, read once and kept in memory (the rows
/// are read twice: validated, then offset).
#[derive(Debug, Clone)]
pub(super) struct BatchFile {
    path: PathBuf,
    delimiter: u8,
    stdin: Option<Arc<[u8]>>,
}

impl BatchFile {
    /// Opens `path` and reads the separator from its header line.
    pub(super) fn open(path: &Path) -> Result<Self, CliError> {
        let stdin = if path == Path::new("-") {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|e| CliError::usage(format!("could not read stdin: {e}")))?;
            Some(Arc::from(bytes))
        } else {
            None
        };
        let mut first = String::new();
        BufReader::new(open(path, stdin.as_ref())?)
            .read_line(&mut first)
            .map_err(|e| CliError::usage(format!("could not read {}: {e}", path.display())))?;
        let count = |c: char| first.chars().filter(|&x| x == c).count();
        let delimiter = if count(';') > count(',') { b';' } else { b',' };
        Ok(Self {
            path: path.to_owned(),
            delimiter,
            stdin,
        })
    }

    /// The file's path.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The rows from the top, as requests with `common`'s settings.
    pub(super) fn rows(&self, common: &OffsetCommon) -> Result<Rows, CliError> {
        let newlines = Arc::new(Mutex::new(Newlines::default()));
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .delimiter(self.delimiter)
            .from_reader(LineCounter {
                inner: open(&self.path, self.stdin.as_ref())?,
                newlines: Arc::clone(&newlines),
            });
        let at_line_1 = |e: &dyn std::fmt::Display| {
            CliError::usage(format!("{}: line 1: {e}", self.path.display()))
        };
        let record = reader.headers().map_err(|e| at_line_1(&e))?;
        let header = Header::new(record, self.delimiter == b';').map_err(|e| at_line_1(&e))?;
        Ok(Rows {
            records: reader.into_records(),
            newlines,
            header,
            common: common.clone(),
        })
    }
}

type Input = Box<dyn Read + Send>;

fn open(path: &Path, stdin: Option<&Arc<[u8]>>) -> Result<Input, CliError> {
    if let Some(bytes) = stdin {
        return Ok(Box::new(std::io::Cursor::new(Arc::clone(bytes))));
    }
    let file = File::open(path)
        .map_err(|e| CliError::usage(format!("could not open {}: {e}", path.display())))?;
    Ok(Box::new(file))
}

/// The data rows of a batch file: each one's line and request (or what is wrong with it).
pub(super) struct Rows {
    records: csv::StringRecordsIntoIter<LineCounter<Input>>,
    newlines: Arc<Mutex<Newlines>>,
    header: Header,
    common: OffsetCommon,
}

impl Iterator for Rows {
    type Item = (u64, Result<OffsetRequest, String>);

    fn next(&mut self) -> Option<Self::Item> {
        let record = self.records.next()?;
        let byte = match &record {
            Ok(record) => record.position().map(csv::Position::byte),
            Err(error) => error.position().map(csv::Position::byte),
        };
        let line = byte.map_or(0, |byte| {
            self.newlines
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .line_at(byte)
        });
        let request = match record {
            Ok(record) => row_request(&self.header, &record, &self.common),
            Err(error) => Err(match error.kind() {
                csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".to_owned(),
                _ => error.to_string(),
            }),
        };
        Some((line, request))
    }
}

/// Reads the whole file once: every row must make a valid request and keys must be unique.
/// Returns the number of rows; sends nothing.
pub(super) fn validate(file: &BatchFile, common: &OffsetCommon) -> Result<u64, CliError> {
    let mut bad: Vec<String> = Vec::new();
    let mut bad_count = 0usize;
    let mut keys: HashMap<String, u64> = HashMap::new();
    let mut rows = 0u64;
    for (line, request) in file.rows(common)? {
        rows += 1;
        let problem = match request {
            Ok(request) => match keys.get(request.key().as_str()) {
                Some(first) => Some(format!("key {} is already on line {first}", request.key())),
                None => {
                    keys.insert(request.key().as_str().to_owned(), line);
                    None
                }
            },
            Err(problem) => Some(problem),
        };
        if let Some(problem) = problem {
            bad_count += 1;
            if bad.len() < BAD_ROWS_SHOWN {
                bad.push(format!("line {line}: {problem}"));
            }
        }
    }
    let path = file.path().display();
    if bad_count > 0 {
        let mut error = CliError::usage(format!(
            "{bad_count} bad row(s) in {path}; nothing was ordered"
        ));
        for line in bad {
            error = error.hint(line);
        }
        if bad_count > BAD_ROWS_SHOWN {
            error = error.hint(format!("… and {} more", bad_count - BAD_ROWS_SHOWN));
        }
        return Err(error);
    }
    if rows == 0 {
        return Err(CliError::usage(format!(
            "{path} has no rows under its header; nothing to offset"
        )));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use carbonext_domain::offset::Rounding;

    fn common() -> OffsetCommon {
        OffsetCommon {
            round: Rounding::Exact,
            max_total_price: None,
            currency: carbonext_domain::Currency::Brl,
            pay_with_balance: false,
            dry_run: false,
        }
    }

    fn rows(text: &str) -> Vec<Result<OffsetRequest, String>> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let header = Header::new(reader.headers().unwrap(), false).unwrap();
        reader
            .records()
            .map(|r| row_request(&header, &r.unwrap(), &common()))
            .collect()
    }

    #[test]
    fn rows_of_each_kind_become_requests_and_kind_can_be_inferred() {
        let parsed = rows(
            "key,kind,transport,from,to,distance,passengers,tonnes,recipient_name\n\
             trip_000001,route,air,GRU,JFK,,2,,Jane\n\
             ship_000002,distance,truck,,,100000,3.5,,\n\
             ship_000003,tonnes,,,,,,1.25,\n\
             ship_000004,,,,,,,0.5,\n\
             ship_000005,,bus,01310-100,20040-020,,30,,\n",
        );
        let parsed: Vec<OffsetRequest> = parsed.into_iter().map(Result::unwrap).collect();
        assert!(matches!(parsed[0].source(), EmissionSource::Route { .. }));
        assert_eq!(
            parsed[0].recipient().and_then(|r| r.name.as_deref()),
            Some("Jane")
        );
        assert!(matches!(
            parsed[1].source(),
            EmissionSource::Distance { .. }
        ));
        assert!(matches!(parsed[2].source(), EmissionSource::Tonnes { .. }));
        assert!(matches!(parsed[3].source(), EmissionSource::Tonnes { .. }));
        assert!(matches!(parsed[4].source(), EmissionSource::Route { .. }));
    }

    #[test]
    fn bad_rows_say_what_is_wrong() {
        let parsed = rows(
            "key,kind,transport,from,to,units,tonnes\n\
             short,tonnes,,,,,1\n\
             ship_000002,route,air,GRU,01310-100,2,\n\
             ship_000003,tonnes,,,,,-1\n\
             ship_000004,boat,,,,,\n\
             ship_000005,route,rocket,GRU,JFK,2,\n\
             ship_000006,route,air,GRU,JFK,0,\n\
             ship_000007,tonnes\n",
        );
        let problems: Vec<String> = parsed.into_iter().map(|r| r.unwrap_err()).collect();
        assert!(problems[0].contains("order key"), "{}", problems[0]);
        assert!(problems[1].contains("route"), "{}", problems[1]);
        assert!(problems[2].contains("zero or more"), "{}", problems[2]);
        assert!(problems[3].contains("boat"), "{}", problems[3]);
        assert!(problems[4].contains("transport"), "{}", problems[4]);
        assert!(problems[5].contains("units"), "{}", problems[5]);
        assert!(problems[6].contains("fields"), "{}", problems[6]);
    }

    #[test]
    fn headers_must_name_known_columns_and_a_key() {
        let header = |text: &str| {
            Header::new(
                &csv::StringRecord::from(text.split(',').collect::<Vec<_>>()),
                false,
            )
        };
        assert!(header("Key,Kind,Tonnes").is_ok());
        assert!(header("kind,tonnes").unwrap_err().contains("key"));
        assert!(header("key,colour").unwrap_err().contains("colour"));
        assert!(header("key,distance,meters").unwrap_err().contains("twice"));
    }

    #[test]
    fn newlines_give_the_line_of_a_byte_offset() {
        let mut newlines = Newlines::default();
        // "a\r\nb\r\n\"c\nd\"\r\ne": lines start at bytes 0, 3, 6 and 13.
        newlines.pending.extend([2, 5, 8, 12]);
        assert_eq!(newlines.line_at(0), 1);
        assert_eq!(newlines.line_at(3), 2);
        assert_eq!(newlines.line_at(6), 3);
        assert_eq!(newlines.line_at(13), 5);
        let mut crlf = Newlines::default();
        crlf.pending.extend([11, 31]);
        // The csv reader starts the record after "…\r\n" at the "\n" (byte 31).
        assert_eq!(crlf.line_at(12), 2);
        assert_eq!(crlf.line_at(31), 3);
    }

    #[test]
    fn a_semicolon_file_reads_decimal_commas_and_refuses_dots() {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader("key;tonnes\nship_000001;1,25\nship_000002;1.234\n".as_bytes());
        let header = Header::new(reader.headers().unwrap(), true).unwrap();
        let parsed: Vec<_> = reader
            .records()
            .map(|r| row_request(&header, &r.unwrap(), &common()))
            .collect();
        match parsed[0].as_ref().expect("valid").source() {
            EmissionSource::Tonnes { tonnes } => assert_eq!(tonnes.to_string(), "1.25"),
            other => panic!("{other:?}"),
        }
        let problem = parsed[1].as_ref().expect_err("a dot is refused");
        assert!(problem.contains("1.234"), "{problem}");
    }
}
