//! What to tell an operator at start about API settings that cannot work as given, before
//! the first probe fails on them: no credentials, or a base URL without the path the
//! document's operations live under (every call would answer "unknown path").

use super::ApiSettings;
use potato_api_client::wit::model::Api;

/// One line per problem, each saying what to set.
pub fn warnings(settings: &ApiSettings, document: &Api) -> Vec<String> {
    let mut out = Vec::new();
    if settings.auth.is_none() {
        out.push(
            "no API token: requests go without credentials; set POTATO_API_TOKEN (or --api-token-file, or \
             [api] token_file / token_env / oauth2)"
                .to_string(),
        );
    }
    if let Some(base) = &document.base_path {
        let url = settings.base_url.trim_end_matches('/');
        let path = url.split_once("://").map_or(url, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
        if !path.ends_with(base.as_str()) {
            out.push(format!(
                "the API base URL {url} does not end with the document's base path {base} (its servers \
                 entry): calls would go to {url}/... and not be found; set the URL to {url}{base}"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_token_and_a_missing_base_path_are_each_named() {
        let potato = potato_api_client::wit::potato().expect("maps");
        let fine = ApiSettings::new("http://127.0.0.1:8080/api/v0/", Some("t".into()));
        assert!(warnings(&fine, &potato.api).is_empty());
        let bare = ApiSettings::new("http://127.0.0.1:8080", None);
        let said = warnings(&bare, &potato.api);
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(said[0].contains("POTATO_API_TOKEN"), "{said:?}");
        assert!(said[1].contains("set the URL to http://127.0.0.1:8080/api/v0"), "{said:?}");
    }
}
