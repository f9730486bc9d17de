//! Query strings: parsed by hand so that every malformed parameter is a 400 problem, never
//! axum's plain-text rejection, plus the pagination every list shares.
//!
//! `page` is 1-based (default 1); `page-size` is 1 to 1000 (default 10). A page past the end
//! is empty but keeps the requested `pageIndex`.
//!
//! ```
//! use carbonext_sandbox::query::{paginate, PageRequest};
//! let page = paginate((1..=25).collect::<Vec<u32>>(), PageRequest { page: 3, size: 10 });
//! assert_eq!(page.items, vec![21, 22, 23, 24, 25]);
//! assert_eq!((page.total_pages, page.has_next_page), (3, false));
//! ```

use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use carbonext_api::Page;

use crate::filter::{Filter, Record, ResourceSpec, Sort};
use crate::problem::Problem;

/// Default `page-size`.
pub const DEFAULT_PAGE_SIZE: u32 = 10;
/// Largest `page-size`.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The decoded query string of a request.
#[derive(Clone, Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes `query` (without the `?`).
    pub fn parse(query: &str) -> Result<Self, Problem> {
        serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .map(|pairs| Self { pairs })
            .map_err(|e| Problem::bad_request(format!("malformed query string: {e}")))
    }

    /// The last value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `name` parsed as `T`, or a 400 naming the parameter.
    pub fn parsed<T: FromStr>(&self, name: &str, expected: &str) -> Result<Option<T>, Problem> {
        match self.get(name) {
            None => Ok(None),
            Some(text) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| Problem::validation(name, format!("`{text}` is not {expected}"))),
        }
    }

    /// `page` and `page-size`.
    pub fn page_request(&self) -> Result<PageRequest, Problem> {
        // Both are `int32` in the spec: larger numbers are malformed, not just out of range.
        let page = self.parsed::<i32>("page", "a page number (1 to 2147483647)")?;
        let size = self.parsed::<i32>("page-size", "a page size (1 to 1000)")?;
        let page = page.unwrap_or(1);
        let size = size.unwrap_or(DEFAULT_PAGE_SIZE as i32);
        if page < 1 {
            return Err(Problem::validation("page", "must be 1 or more"));
        }
        if !(1..=MAX_PAGE_SIZE as i32).contains(&size) {
            return Err(Problem::validation(
                "page-size",
                "must be between 1 and 1000",
            ));
        }
        Ok(PageRequest {
            page: page.unsigned_abs(),
            size: size.unsigned_abs(),
        })
    }

    /// `page`, `page-size`, `sort-by` and `filter-by` for `spec`.
    pub fn list_query(&self, spec: &ResourceSpec) -> Result<ListQuery, Problem> {
        Ok(ListQuery {
            page: self.page_request()?,
            filter: match self.get("filter-by") {
                Some(text) => Filter::parse(spec, text)?,
                None => Filter::default(),
            },
            sort: Sort::parse(spec, self.get("sort-by"))?,
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Params::parse(parts.uri.query().unwrap_or(""))
    }
}

/// Which page of a list to return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page index.
    pub page: u32,
    /// Items per page.
    pub size: u32,
}

/// A list request: page, filter and sort.
#[derive(Clone, Debug)]
pub struct ListQuery {
    /// Which page.
    pub page: PageRequest,
    /// `filter-by`.
    pub filter: Filter,
    /// `sort-by`.
    pub sort: Sort,
}

impl ListQuery {
    /// Filters, sorts and pages `records` (given in creation order), then maps each item.
    pub fn run<T: Record, U>(&self, records: Vec<T>, wire: impl FnMut(T) -> U) -> Page<U> {
        let kept: Vec<T> = records
            .into_iter()
            .filter(|r| self.filter.matches(r))
            .collect();
        paginate(self.sort.apply(kept), self.page).map(wire)
    }
}

/// One page of `items`.
pub fn paginate<T>(items: Vec<T>, request: PageRequest) -> Page<T> {
    let total = items.len() as u64;
    let size = u64::from(request.size);
    let total_pages = total.div_ceil(size);
    let skip = (u64::from(request.page) - 1).saturating_mul(size);
    let items: Vec<T> = items
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(request.size as usize)
        .collect();
    Page {
        items,
        page_index: i32::try_from(request.page).unwrap_or(i32::MAX),
        total_pages: i32::try_from(total_pages).unwrap_or(i32::MAX),
        total_count: i64::try_from(total).unwrap_or(i64::MAX),
        aggregations: None,
        has_previous_page: request.page > 1,
        has_next_page: u64::from(request.page) < total_pages,
    }
}
