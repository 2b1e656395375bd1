//! Helpers that follow `next-page-token` to the last page, so probes need not write the loop.

use crate::api::{self, ApiError};
use crate::types::{Order, OrderStatus, Potato};

/// Every important potato, reading `page_size` (1..=1000) at a time.
///
/// # Errors
/// The first failed call's error.
pub fn all_important_potatoes(page_size: u32) -> Result<Vec<Potato>, ApiError> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = api::list_important_potatoes(Some(page_size), token.as_deref())?;
        all.extend(page.items);
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => return Ok(all),
        }
    }
}

/// Every order (optionally only those in `status`), reading `page_size` at a time.
///
/// # Errors
/// The first failed call's error.
pub fn all_orders(status: Option<OrderStatus>, page_size: u32) -> Result<Vec<Order>, ApiError> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = api::list_orders(status, Some(page_size), token.as_deref())?;
        all.extend(page.items);
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => return Ok(all),
        }
    }
}
