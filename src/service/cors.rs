//! CORS: which origin an answer names, whether credentials are allowed, what a viewer's
//! script may read, and how long a preflight holds (the `TESSERA_CORS_*` settings).
//!
//! Headers are added to every response in one place, [`Cors::apply`], from the request's
//! Origin. An answer that echoes an Origin depends on it, so it says `Vary: Origin`: a
//! shared cache must not hand one origin's answer to another (the template also puts
//! Origin in CloudFront's cache key then).

use crate::config::Config;
use http::header::{self, HeaderMap, HeaderValue};

/// Which request origins are named in Access-Control-Allow-Origin.
#[derive(Debug, PartialEq, Eq)]
enum Allow {
    /// `*`: every origin, without credentials.
    Any,
    /// Whatever Origin the request carries.
    Reflect,
    /// These origins (compared without regard to case), each echoed when it asks.
    Listed(Vec<String>),
}

pub(crate) struct Cors {
    allow: Allow,
    credentials: bool,
    expose: Option<HeaderValue>,
    pub(crate) max_age: HeaderValue,
}

impl Cors {
    pub(crate) fn from_config(config: &Config) -> Result<Cors, String> {
        let origin = config.cors_origin.trim();
        let allow = match origin {
            "*" if config.cors_credentials => Allow::Reflect,
            "*" => Allow::Any,
            "reflect" => Allow::Reflect,
            list => {
                let origins: Vec<String> = list
                    .split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
                    .filter(|o| !o.is_empty())
                    .collect();
                if origins.is_empty() || origins.iter().any(|o| HeaderValue::from_str(o).is_err()) {
                    return Err(format!("bad TESSERA_CORS_ORIGIN {list:?}"));
                }
                Allow::Listed(origins)
            }
        };
        let expose = match config.cors_expose_headers.trim() {
            "" => None,
            list => {
                Some(HeaderValue::from_str(list).map_err(|_| "bad TESSERA_CORS_EXPOSE_HEADERS")?)
            }
        };
        Ok(Cors {
            allow,
            credentials: config.cors_credentials,
            expose,
            max_age: HeaderValue::from(config.cors_max_age),
        })
    }

    /// Adds the CORS headers for a request with these headers to a response's.
    pub(crate) fn apply(&self, request: &HeaderMap, response: &mut HeaderMap) {
        let origin = request.get(header::ORIGIN);
        let allowed = match &self.allow {
            Allow::Any => Some(HeaderValue::from_static("*")),
            Allow::Reflect => origin.cloned(),
            Allow::Listed(list) => origin
                .filter(|o| {
                    o.to_str().is_ok_and(|o| {
                        let o = o.trim_end_matches('/').to_ascii_lowercase();
                        list.contains(&o)
                    })
                })
                .cloned(),
        };
        if self.allow != Allow::Any {
            response.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        let Some(allowed) = allowed else { return };
        response.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
        if self.credentials {
            response.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(expose) = &self.expose {
            response.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origin: &str, credentials: bool) -> Cors {
        let mut config = Config::from_env().unwrap();
        config.cors_origin = origin.into();
        config.cors_credentials = credentials;
        Cors::from_config(&config).unwrap()
    }

    /// (Access-Control-Allow-Origin, Vary, Allow-Credentials) for a request from `origin`.
    fn answer(cors: &Cors, origin: Option<&str>) -> (Option<String>, Vec<String>, bool) {
        let mut request = HeaderMap::new();
        if let Some(o) = origin {
            request.insert(header::ORIGIN, o.parse().unwrap());
        }
        let mut response = HeaderMap::new();
        cors.apply(&request, &mut response);
        let text = |v: &HeaderValue| v.to_str().unwrap().to_string();
        (
            response.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).map(text),
            response.get_all(header::VARY).iter().map(text).collect(),
            response.contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
        )
    }

    #[test]
    fn star_names_every_origin_and_does_not_vary() {
        let c = cors("*", false);
        let a = Some("https://a.example");
        assert_eq!(answer(&c, a), (Some("*".into()), vec![], false));
        assert_eq!(answer(&c, None), (Some("*".into()), vec![], false));
    }

    #[test]
    fn reflecting_echoes_the_origin_and_varies_on_it() {
        let c = cors("reflect", false);
        let a = Some("https://a.example");
        let vary = vec!["Origin".to_string()];
        assert_eq!(answer(&c, a), (a.map(String::from), vary.clone(), false));
        assert_eq!(answer(&c, None), (None, vary, false));
    }

    #[test]
    fn credentials_turn_star_into_reflection() {
        let c = cors("*", true);
        let a = Some("https://a.example");
        let vary = vec!["Origin".to_string()];
        assert_eq!(answer(&c, a), (a.map(String::from), vary, true));
    }

    #[test]
    fn a_list_echoes_its_members_only() {
        let c = cors("https://a.example, https://B.example/", false);
        let vary = vec!["Origin".to_string()];
        for (origin, named) in [
            ("https://a.example", true),
            ("https://b.example", true),
            ("https://A.EXAMPLE", true),
            ("https://c.example", false),
            ("http://a.example", false),
        ] {
            let want = named.then(|| origin.to_string());
            assert_eq!(
                answer(&c, Some(origin)),
                (want, vary.clone(), false),
                "{origin}"
            );
        }
    }

    #[test]
    fn nonsense_is_refused_at_start() {
        let mut config = Config::from_env().unwrap();
        config.cors_origin = " , ".into();
        assert!(Cors::from_config(&config).is_err());
        config.cors_origin = "*".into();
        config.cors_expose_headers = "a\nb".into();
        assert!(Cors::from_config(&config).is_err());
    }
}
