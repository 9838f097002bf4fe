//! Prometheus text-format rendering and the small counting types the actors keep for
//! `GET /metrics`. Each actor owns its own counters and reports them when asked; nothing here is
//! shared between actors.

use std::collections::BTreeMap;
use std::fmt::Write;

/// Upper bounds (seconds) of the HTTP latency histogram buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// A cumulative histogram with [`LATENCY_BUCKETS`].
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    counts: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&mut self, seconds: f64) {
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// Messages and bytes of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// How many messages.
    pub messages: u64,
    /// How many bytes of text.
    pub bytes: u64,
}

/// Builds a Prometheus text exposition.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Exposition {
    /// Writes a metric family header.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    /// Writes one sample.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let _ = write!(self.out, "{name}");
        if !labels.is_empty() {
            let parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
            let _ = write!(self.out, "{{{}}}", parts.join(","));
        }
        let _ = writeln!(self.out, " {value}");
    }

    /// Writes a gauge with one sample.
    pub fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, "gauge", help);
        self.sample(name, &[], value);
    }

    /// Writes a counter with one sample.
    pub fn counter(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, "counter", help);
        self.sample(name, &[], value);
    }

    /// Writes the samples of histograms labelled by `label`.
    pub fn histograms(&mut self, name: &str, help: &str, label: &str, hists: &BTreeMap<String, Histogram>) {
        self.family(name, "histogram", help);
        for (value, h) in hists {
            for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
                let le = bound.to_string();
                self.sample(&format!("{name}_bucket"), &[(label, value), ("le", &le)], h.counts[i] as f64);
            }
            self.sample(&format!("{name}_bucket"), &[(label, value), ("le", "+Inf")], h.count as f64);
            self.sample(&format!("{name}_sum"), &[(label, value)], h.sum);
            self.sample(&format!("{name}_count"), &[(label, value)], h.count as f64);
        }
    }

    /// Returns the text.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_rendered_in_text_format() {
        let mut h = Histogram::default();
        h.observe(0.0007);
        h.observe(0.03);
        let mut map = BTreeMap::new();
        map.insert("/status".to_string(), h);
        let mut e = Exposition::default();
        e.gauge("node_height", "Best height.", 7.0);
        e.histograms("http_seconds", "Latency.", "route", &map);
        let text = e.finish();
        assert!(text.contains("# TYPE node_height gauge\nnode_height 7\n"));
        assert!(text.contains("http_seconds_bucket{route=\"/status\",le=\"0.001\"} 1\n"));
        assert!(text.contains("http_seconds_bucket{route=\"/status\",le=\"0.05\"} 2\n"));
        assert!(text.contains("http_seconds_bucket{route=\"/status\",le=\"+Inf\"} 2\n"));
        assert!(text.contains("http_seconds_count{route=\"/status\"} 2\n"));
    }
}
