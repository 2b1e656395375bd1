//! What went wrong in a probe, in its own language's words. When a Python or JavaScript
//! probe's `collect` fails in a way its toolchain turns into a trap (an uncaught exception, an
//! API error left uncaught, an error that is not a string), the runtime prints the reason on
//! the probe's stderr and then aborts: the trap itself says only `unreachable`. This reads the
//! captured output for those runtimes' known shapes and answers the message to lead the run's
//! error with.

/// The reason a probe's runtime printed before it trapped, if the output has a known shape.
pub(super) fn explain(output: &str) -> Option<String> {
    python_err_value(output).or_else(|| python_traceback(output)).or_else(|| javascript_non_string(output))
}

/// A Python exception's traceback (the last one printed): the exception line, then where it
/// was raised (`File "app.py", line 5, in helper`, innermost last, at most five frames).
fn python_traceback(output: &str) -> Option<String> {
    let start = output.rfind("Traceback (most recent call last):")?;
    let mut frames = Vec::new();
    let mut exception = None;
    for line in output[start..].lines().skip(1) {
        if line.trim_start().starts_with("File \"") {
            frames.push(line.trim());
        } else if !line.starts_with(' ') && !line.trim().is_empty() {
            // The first unindented line closes the traceback: `ValueError: bad value 42`.
            exception = Some(line.trim());
            break;
        }
    }
    let exception = exception?;
    let shown = &frames[frames.len().saturating_sub(5)..];
    Some(if shown.is_empty() { exception.to_string() } else { format!("{exception}\n  {}", shown.join("\n  ")) })
}

/// componentize-py's `Err(value)` raised out of `collect` with a value that is not a string:
/// what an API error left uncaught (`Err(ApiError_NotFound(...))`) becomes.
fn python_err_value(output: &str) -> Option<String> {
    let at = output.find("' object is not an instance of 'str'")?;
    let start = output[..at].rfind('\'')? + 1;
    let class = &output[start..at];
    Some(if class.starts_with("ApiError") {
        format!(
            "an API error reached the end of collect uncaught ({class}): catch componentize_py_types.Err \
             around the call and act on its .value, or raise Err(\"why\")"
        )
    } else {
        format!("collect raised Err with a {class}, not a string: raise Err(\"why\")")
    })
}

/// componentize-js's failure to pass a thrown value that is not a string out as `collect`'s
/// error: the value (an `Error`, an API error) and its message are lost inside the runtime.
fn javascript_non_string(output: &str) -> Option<String> {
    output.contains("expected a string, received").then(|| {
        "collect threw something that is not a string (an Error, or an API error left uncaught): \
         componentize-js can pass only a string out as collect's error, so the message was lost; throw \
         a string, e.g. `throw `list-farms: ${e.message}``"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn a_python_traceback_leads_with_the_exception_and_where_it_was_raised() {
        let output = "Traceback (most recent call last):\n  File \"/0/app.py\", line 10, in collect\n    helper(42)\n  \
                      File \"/0/app.py\", line 5, in helper\nValueError: bad value 42\nthread '<unnamed>' (1) \
                      panicked at runtime/src/lib.rs:1293:29:\nPython function threw an unexpected exception\n";
        assert_eq!(
            explain(output).as_deref(),
            Some(
                "ValueError: bad value 42\n  File \"/0/app.py\", line 10, in collect\n  File \"/0/app.py\", line 5, in helper"
            )
        );
    }

    #[test]
    fn an_uncaught_python_api_error_and_a_javascript_error_object_are_named() {
        let python = "called `Result::unwrap()` on an `Err` value: PyErr { type: <class 'TypeError'>, value: \
                      TypeError(\"'ApiError_NotFound' object is not an instance of 'str'\"), traceback: None }";
        assert!(
            explain(python)
                .is_some_and(|m| m.starts_with("an API error reached the end of collect uncaught (ApiError_NotFound)"))
        );
        let js = "expected a string, received [object]\nStack:\n  _utf8AllocateAndEncode@initializer.js:72:11\n";
        assert!(explain(js).is_some_and(|m| m.starts_with("collect threw something that is not a string")));
        assert_eq!(explain("hello\n"), None);
    }
}
