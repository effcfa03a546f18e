//! Results on stdout: a line of JSON with `--json`, readable lines otherwise. Logs go to
//! stderr, so stdout stays parseable.

use serde_json::Value;

/// Print `value` as JSON, or as `key: value` lines.
pub fn print(json: bool, value: Value) {
	if json {
		println!("{value}");
		return;
	}
	match value {
		Value::Object(fields) => {
			for (key, value) in fields {
				match value {
					Value::String(s) => println!("{key}: {s}"),
					other => println!("{key}: {other}"),
				}
			}
		}
		other => println!("{other}"),
	}
}
