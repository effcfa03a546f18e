//! Prometheus metrics of nodes and workers, read as any scraper reads them: `GET /metrics`.

use crate::{Error, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The metrics served on `127.0.0.1:port` (by `whose`, for errors), in the text format.
pub async fn scrape(port: u16, whose: &str) -> Result<String> {
	let io = |source| Error::Io { context: format!("GET /metrics of {whose}"), source };
	let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(io)?;
	stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").await.map_err(io)?;
	let mut response = String::new();
	stream.read_to_string(&mut response).await.map_err(io)?;
	Ok(response)
}

/// The value of sample `name` (labels included, as served: `x_total{work="chain"}`) in
/// `text`; `None` when it is not there.
pub fn sample(text: &str, name: &str) -> Option<f64> {
	text.lines()
		.filter(|line| !line.starts_with('#'))
		.find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn samples_are_found_by_name_and_labels() {
		let text = "# HELP x_total Things\n# TYPE x_total counter\nx_total{work=\"chain\"} 1.5\n\
		            x_total{work=\"training\"} 12\nx_total_more 3\n";
		assert_eq!(sample(text, "x_total{work=\"chain\"}"), Some(1.5));
		assert_eq!(sample(text, "x_total{work=\"training\"}"), Some(12.0));
		assert_eq!(sample(text, "x_total"), None);
		assert_eq!(sample(text, "x_total{work=\"hashing\"}"), None);
	}
}
