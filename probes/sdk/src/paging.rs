//! Helpers that follow `next-page-token` to the last page, so probes need not write the loop.

use crate::api::{self, ApiError};
use crate::types::{Order, OrderStatus, Potato};

/// Every important potato, reading `page_size` (1..=1000) at a time.
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
