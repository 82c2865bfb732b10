//! [`RequestRecord`]: the one summary of a finished request that the log line, the
//! CloudWatch EMF line and the Prometheus counters are all made from, so the three never
//! disagree about what a request was or cost.

use super::meter::Metered;
use std::time::Duration;

/// Which kind of answer a request was: a low-cardinality name fit for a metric dimension
/// (never the path or the identifier).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RouteKind {
    /// An image request (region/size/rotation/quality.format).
    Image,
    /// info.json.
    Info,
    /// The image's base URI, redirected to its info.json.
    Base,
    Manifest,
    Health,
    Metrics,
    /// The viewer page and its assets.
    Viewer,
    /// A CORS preflight (OPTIONS).
    Options,
    /// Anything refused before a route was chosen (bad method, URL too long).
    #[default]
    Other,
}

impl RouteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RouteKind::Image => "image",
            RouteKind::Info => "info",
            RouteKind::Base => "base",
            RouteKind::Manifest => "manifest",
            RouteKind::Health => "health",
            RouteKind::Metrics => "metrics",
            RouteKind::Viewer => "viewer",
            RouteKind::Options => "options",
            RouteKind::Other => "other",
        }
    }
}

/// `2xx`, `3xx`, `4xx` or `5xx`: alarms want the class, not each status.
pub fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// A finished request, as every metric sink sees it.
#[derive(Clone, Debug)]
pub struct RequestRecord {
    pub route: RouteKind,
    pub status: u16,
    /// From the request's arrival to its answer being ready (before delivery).
    pub latency: Duration,
    /// libvips' open, compute and encode, when the request rendered.
    pub render: Option<Duration>,
    /// The answer was a stored tile sent as it is (no render).
    pub stored_tile: bool,
    pub metered: Metered,
    /// The first request this process served (on Lambda: the cold start's invocation).
    pub cold_start: bool,
}

impl RequestRecord {
    pub fn status_class(&self) -> &'static str {
        status_class(self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes() {
        let classes: Vec<_> = [200, 304, 303, 400, 404, 501, 503, 0]
            .map(status_class)
            .into();
        assert_eq!(
            classes,
            ["2xx", "3xx", "3xx", "4xx", "4xx", "5xx", "5xx", "5xx"]
        );
    }
}
