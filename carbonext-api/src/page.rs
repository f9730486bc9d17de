//! [`Page`]: the pagination envelope shared by every list of the API.
//!
//! `pageIndex` is 1-based; `aggregations` is absent or `null` unless aggregations were asked for.

use serde::{Deserialize, Serialize};

/// One page of a paginated list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The items on this page, in the server's order.
    pub items: Vec<T>,
    /// 1-based index of this page.
    pub page_index: i32,
    /// Number of pages for the query.
    pub total_pages: i32,
    /// Number of items for the query, across all pages.
    pub total_count: i64,
    /// Aggregations computed by the server, when requested.
    #[serde(default)]
    pub aggregations: Option<serde_json::Map<String, serde_json::Value>>,
    /// Whether a page comes before this one.
    pub has_previous_page: bool,
    /// Whether a page comes after this one.
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// Applies `f` to every item, keeping the envelope.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        self.filter_map(|item| Some(f(item)))
    }

    /// Keeps the items `f` turns into `Some`, and the envelope as the server sent it (its
    /// counts still describe the server's items).
    pub fn filter_map<U>(self, f: impl FnMut(T) -> Option<U>) -> Page<U> {
        Page {
            items: self.items.into_iter().filter_map(f).collect(),
            page_index: self.page_index,
            total_pages: self.total_pages,
            total_count: self.total_count,
            aggregations: self.aggregations,
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
        }
    }
}
