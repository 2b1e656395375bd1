//! Following a paged operation to its last page, so probes need not write the loop. The SDK
//! knows no API: the probe says how to read one page (its own binding of the operation).

/// One page's items and the token of the next page (`None`: the last page), or the call's
/// error (the probe's own binding's error type).
pub type PageResult<T, E> = Result<(Vec<T>, Option<String>), E>;

/// The items of every page, in order, read one page at a time: the next page is read when
/// the last one is used up, so a probe that counts as it goes holds one page, however many
/// items there are (100,000 potatoes collected whole take tens of MiB of the probe's memory;
/// page by page, a few hundred KiB). Stops after the first error, which it yields.
///
/// ```ignore
/// let potatoes =
///     Pages::new(|token| list_important_potatoes(Some(1000), token).map(|p| (p.items, p.next_page_token)));
/// for p in potatoes {
///     let p = p.map_err(|e| format!("list-important-potatoes: {e}"))?;
///     // count p
/// }
/// ```
pub struct Pages<T, E, F> {
    read: F,
    items: std::vec::IntoIter<T>,
    /// The next page's token; `None` once the last page was read (or a call failed).
    next: Option<Option<String>>,
    failed: std::marker::PhantomData<E>,
}

impl<T, E, F: FnMut(Option<&str>) -> PageResult<T, E>> Pages<T, E, F> {
    /// Pages read by `read`, called with no token first, then with each page's next token.
    pub fn new(read: F) -> Self {
        Self { read, items: Vec::new().into_iter(), next: Some(None), failed: std::marker::PhantomData }
    }
}

impl<T, E, F: FnMut(Option<&str>) -> PageResult<T, E>> Iterator for Pages<T, E, F> {
    type Item = Result<T, E>;

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

/// The items of every page, collected into one list. Prefer [`Pages`] when the items are
/// counted rather than kept.
///
/// # Errors
/// The first failed call's error.
pub fn all_pages<T, E>(read: impl FnMut(Option<&str>) -> PageResult<T, E>) -> Result<Vec<T>, E> {
    Pages::new(read).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages of two, two and one, read with the tokens `b` and `c`; the call with the token
    /// `fail_at` fails.
    fn pages(fail_at: Option<&'static str>) -> impl FnMut(Option<&str>) -> PageResult<u32, String> {
        move |token| {
            if token.is_some() && token == fail_at {
                return Err(format!("failed at {token:?}"));
            }
            match token {
                None => Ok((vec![1, 2], Some("b".into()))),
                Some("b") => Ok((vec![3, 4], Some("c".into()))),
                Some("c") => Ok((vec![5], None)),
                Some(other) => Err(format!("unknown token {other}")),
            }
        }
    }

    #[test]
    fn every_page_is_read_in_order() {
        assert_eq!(all_pages(pages(None)), Ok(vec![1, 2, 3, 4, 5]));
    }

    #[test]
    fn the_first_error_ends_the_pages() {
        let got: Vec<_> = Pages::new(pages(Some("c"))).collect();
        assert_eq!(got, vec![Ok(1), Ok(2), Ok(3), Ok(4), Err("failed at Some(\"c\")".to_string())]);
        assert_eq!(all_pages(pages(Some("b"))), Err("failed at Some(\"b\")".to_string()));
    }
}
