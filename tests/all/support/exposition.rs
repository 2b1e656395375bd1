//! A small, strict reader of the text exposition formats for assertions: every sample line
//! must parse, and every series appears once.

use std::collections::BTreeMap;

/// Samples by `name{sorted labels}`, plus the comment lines.
#[derive(Debug, Default)]
pub struct Scrape {
    pub samples: BTreeMap<String, f64>,
    pub comments: Vec<String>,
}

impl Scrape {
    pub fn parse(body: &str) -> Self {
        let mut scrape = Scrape::default();
        for line in body.lines() {
            if line.starts_with('#') {
                scrape.comments.push(line.to_string());
                continue;
            }
            assert!(!line.trim().is_empty(), "blank line in exposition:\n{body}");
            let (series, value) = parse_line(line).unwrap_or_else(|| panic!("unparseable line {line:?}"));
            assert!(scrape.samples.insert(series, value).is_none(), "duplicate series in line {line:?}");
        }
        scrape
    }

    /// The value of `name` with exactly `labels`.
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples.get(&key(name, labels)).copied()
    }

    /// Like [`Scrape::get`], failing with the list of series of that name when absent.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels).unwrap_or_else(|| {
            let known: Vec<_> = self.samples.keys().filter(|k| k.starts_with(name)).collect();
            panic!("no series {}; series of that name: {known:#?}", key(name, labels))
        })
    }

    /// How many series have this exact metric name.
    pub fn count(&self, name: &str) -> usize {
        self.samples.keys().filter(|k| k.split('{').next() == Some(name)).count()
    }
}

pub fn key(name: &str, labels: &[(&str, &str)]) -> String {
    let mut labels: Vec<_> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    labels.sort();
    format!("{name}{{{}}}", labels.join(","))
}

fn parse_line(line: &str) -> Option<(String, f64)> {
    let (name, rest) = match line.find('{') {
        Some(i) => (&line[..i], &line[i..]),
        None => {
            let (name, value) = line.split_once(' ')?;
            return Some((format!("{name}{{}}"), parse_value(value)?));
        }
    };
    // Labels: name="value" pairs with \\, \" and \n escapes.
    let mut labels = Vec::new();
    let mut chars = rest[1..].char_indices().peekable();
    let end;
    loop {
        let (start, c) = chars.next()?;
        if c == '}' {
            end = start + 2;
            break;
        }
        if c == ',' {
            continue;
        }
        let mut label = String::from(c);
        for (_, c) in chars.by_ref() {
            if c == '=' {
                break;
            }
            label.push(c);
        }
        if chars.next()?.1 != '"' {
            return None;
        }
        let mut value = String::new();
        loop {
            match chars.next()?.1 {
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                '"' => break,
                c => value.push(c),
            }
        }
        labels.push((label, value));
    }
    let value = rest[end..].trim();
    let refs: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Some((key(name, &refs), parse_value(value)?))
}

fn parse_value(v: &str) -> Option<f64> {
    match v.split_whitespace().next()? {
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}
