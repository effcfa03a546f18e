//! Polling with a deadline: every wait in the harness ends, with an error naming what it
//! waited for.

use crate::{Error, Result};
use std::{future::Future, time::Duration};

/// How often conditions are polled.
pub const POLL: Duration = Duration::from_millis(250);

/// Poll `check` until it yields `Some`, or fail after `timeout`. An error from `check` ends
/// the wait at once.
pub async fn until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T>
where
	F: FnMut() -> Fut,
	Fut: Future<Output = Result<Option<T>>>,
{
	let deadline = tokio::time::Instant::now() + timeout;
	loop {
		if let Some(value) = check().await? {
			return Ok(value);
		}
		if tokio::time::Instant::now() >= deadline {
			return Err(Error::Timeout { what: what.to_string(), after: timeout });
		}
		tokio::time::sleep(POLL).await;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[tokio::test]
	async fn returns_the_first_value() {
		let mut calls = 0;
		let got = until("three calls", Duration::from_secs(5), || {
			calls += 1;
			let done = calls == 3;
			async move { Ok(done.then_some(calls)) }
		})
		.await
		.unwrap();
		assert_eq!(got, 3);
	}

	#[tokio::test]
	async fn times_out_with_the_condition_named() {
		let err = until("never", Duration::from_millis(300), || async { Ok(None::<()>) })
			.await
			.unwrap_err();
		assert!(matches!(err, Error::Timeout { ref what, .. } if what == "never"), "{err}");
	}
}
