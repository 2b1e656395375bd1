//! Helpers that follow `next-page-token` to the last page, so probes need not write the loop.

use crate::api::{self, ApiError};
use crate::types::{Order, OrderStatus, Potato};

/// Every important potato, one page (`page_size`, 1..=1000) at a time: the next page is read
/// when the last one is used up, so a probe that counts as it goes holds one page, however
/// many potatoes there are (100,000 potatoes collected whole take tens of MiB of the probe's
/// memory; page by page, a few hundred KiB). Stops after the first error, which it yields.
pub fn important_potatoes(page_size: u32) -> Pages<Potato, impl FnMut(Option<&str>) -> PageResult<Potato>> {
    Pages::new(move |token| {
        let page = api::list_important_potatoes(Some(page_size), token)?;
        Ok((page.items, page.next_page_token))
    })
}

/// Every order (optionally only those in `status`), one page at a time (see
/// [`important_potatoes`]).
pub fn orders(
    status: Option<OrderStatus>,
    page_size: u32,
) -> Pages<Order, impl FnMut(Option<&str>) -> PageResult<Order>> {
    Pages::new(move |token| {
        let page = api::list_orders(status, Some(page_size), token)?;
        Ok((page.items, page.next_page_token))
    })
}

/// One page's items and the token of the next page (`None`: the last page).
pub type PageResult<T> = Result<(Vec<T>, Option<String>), ApiError>;

/// The items of every page, in order, read one page at a time.
pub struct Pages<T, F> {
    read: F,
    items: std::vec::IntoIter<T>,
    /// The next page's token; `None` once the last page was read (or a call failed).
    next: Option<Option<String>>,
}

impl<T, F: FnMut(Option<&str>) -> PageResult<T>> Pages<T, F> {
    fn new(read: F) -> Self {
        Self { read, items: Vec::new().into_iter(), next: Some(None) }
    }
}

impl<T, F: FnMut(Option<&str>) -> PageResult<T>> Iterator for Pages<T, F> {
    type Item = Result<T, ApiError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.items.next() {
                return Some(Ok(item));
            }
            let token = self.next.take()?;
            match (self.read)(token.as_deref()) {
                Ok((items, next)) => {
                    self.items = items.into_iter();
                    self.next = next.map(Some);
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Every important potato, collected into one list, reading `page_size` (1..=1000) at a time.
/// Prefer [`important_potatoes`] when the potatoes are counted rather than kept.
///
/// # Errors
/// The first failed call's error.
pub fn all_important_potatoes(page_size: u32) -> Result<Vec<Potato>, ApiError> {
    all_pages(|token| {
        let page = api::list_important_potatoes(Some(page_size), token)?;
        Ok((page.items, page.next_page_token))
    })
}

/// Every order (optionally only those in `status`), reading `page_size` at a time.
///
/// # Errors
/// The first failed call's error.
pub fn all_orders(status: Option<OrderStatus>, page_size: u32) -> Result<Vec<Order>, ApiError> {
    all_pages(|token| {
        let page = api::list_orders(status, Some(page_size), token)?;
        Ok((page.items, page.next_page_token))
    })
}

/// Calls `page` with each page token in turn (none first) and collects the items.
fn all_pages<T>(
    mut page: impl FnMut(Option<&str>) -> Result<(Vec<T>, Option<String>), ApiError>,
) -> Result<Vec<T>, ApiError> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let (items, next) = page(token.as_deref())?;
        all.extend(items);
        match next {
            Some(next) => token = Some(next),
            None => return Ok(all),
        }
    }
}
