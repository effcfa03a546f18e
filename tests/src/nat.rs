//! A NAT testbed: Linux network namespaces joined by veth pairs, with the kernel's nftables
//! translating addresses, so that peers really sit behind NATs.
//!
//! ```text
//!                 public segment 11.77.0.0/24 (a bridge)
//!        ┌──────────────┬───────────────────┬────────────────────┐
//!   public host     nat "a" 11.77.0.2      nat "b" 11.77.0.3        (more public hosts;
//!   11.77.0.10      │ masquerade           │ masquerade fully-random   this machine's own
//!                   │                      │                           namespace: 11.77.0.254)
//!                   │ (endpoint-independent)│ (symmetric)
//!              host "a" 192.168.1.2     host "b" 192.168.2.2
//! ```
//!
//! Each NAT masquerades what leaves its public side and lets nothing in that was not asked
//! for: unsolicited packets are dropped, not answered, as home routers do. (Answered, each
//! would leave a connection-tracking entry that takes the port a hole punch is about to map,
//! and Linux would then move the punch to another port.) The endpoint-independent NAT keeps a private port's public port for every destination
//! (Linux keeps the source port where it is free), so a hole punched towards one peer is open
//! to that peer's packets; the symmetric one picks a random public port for every new flow, so
//! the port a peer observed through a relay is not the one a direct attempt leaves from.
//!
//! The public segment uses global unicast addresses (11.77.0.0/24), because libp2p's AutoNAT,
//! as deployed, ignores peers and addresses in private ranges; no packet can leave the
//! namespaces, so no real host there is ever reached (no testbed host has a route beyond the
//! segment). Every name and address lives inside namespaces the testbed creates (their names
//! start with a per-testbed prefix), but for the end of [`Testbed::uplink`] in this machine's
//! namespace; dropping the [`Testbed`] deletes the namespaces, which also removes their links
//! and that end with its peer. A testbed whose process was killed before it could drop them is
//! deleted by the next one to start. Building one needs root and the `ip` and `nft` commands
//! (`scripts/setup` installs `nftables`): [`Testbed::start`] says why when it cannot.

use std::{
	net::Ipv4Addr,
	process::Command,
	sync::atomic::{AtomicU32, Ordering},
};

/// The public segment's hosts: their addresses are `11.77.0.<10 + index>`.
pub const PUBLIC_NET: &str = "11.77.0";

/// The last octet of this machine's own address on the public segment ([`Testbed::uplink`]).
const UPLINK_HOST: u8 = 254;

/// How a NAT maps a private address and port to a public one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nat {
	/// One public port per private port, whatever the destination (a home router's usual
	/// behaviour): hole punching works.
	EndpointIndependent,
	/// A new random public port for every flow (some carrier-grade and cloud NATs): hole
	/// punching fails and peers need a relay.
	Symmetric,
}

/// A host in the testbed: the namespace its processes run in and its address there.
#[derive(Clone, Debug)]
pub struct Host {
	/// The network namespace (`ip netns exec <namespace> …`).
	pub namespace: String,
	/// The host's address in it.
	pub address: Ipv4Addr,
}

impl Host {
	/// `program` run inside this host's namespace.
	pub fn command(&self, program: &std::path::Path) -> tokio::process::Command {
		let mut command = tokio::process::Command::new("ip");
		command.args(["netns", "exec", &self.namespace]).arg(program);
		command
	}
}

/// Why a testbed could not be built.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
	/// Namespaces need root (or CAP_NET_ADMIN and CAP_SYS_ADMIN).
	#[error("the NAT testbed needs root for network namespaces (running as uid {0})")]
	NotRoot(u32),
	/// A command the testbed needs is missing.
	#[error("the NAT testbed needs `{0}` (scripts/setup installs it)")]
	Missing(&'static str),
	/// A command failed.
	#[error("`{command}` failed: {stderr}")]
	Failed {
		/// The command line.
		command: String,
		/// What it printed.
		stderr: String,
	},
}

/// A running testbed. Dropping it deletes every namespace it made.
pub struct Testbed {
	prefix: String,
	namespaces: Vec<String>,
	public_hosts: u8,
	routers: u8,
}

impl Testbed {
	/// The public segment alone, with no host yet.
	pub fn start() -> Result<Self, Unavailable> {
		let uid = uid();
		if uid != 0 {
			return Err(Unavailable::NotRoot(uid));
		}
		for tool in ["ip", "nft"] {
			if Command::new(tool).arg("-V").output().is_err() {
				return Err(Unavailable::Missing(tool));
			}
		}
		delete_stale_namespaces();
		static COUNT: AtomicU32 = AtomicU32::new(0);
		// At most "cn4194304x9-up" for the uplink's name: within the kernel's 15 bytes.
		let prefix = format!("cn{}x{}", std::process::id(), COUNT.fetch_add(1, Ordering::Relaxed));
		let mut testbed = Testbed { prefix, namespaces: Vec::new(), public_hosts: 0, routers: 0 };
		let public = testbed.namespace("pub")?;
		run(&["ip", "-n", &public, "link", "add", "br0", "type", "bridge"])?;
		run(&["ip", "-n", &public, "link", "set", "br0", "up"])?;
		Ok(testbed)
	}

	/// A new host on the public segment.
	pub fn public_host(&mut self) -> Result<Host, Unavailable> {
		let index = self.public_hosts;
		self.public_hosts += 1;
		let address: Ipv4Addr = format!("{PUBLIC_NET}.{}", 10 + index).parse().expect("valid");
		let namespace = self.namespace(&format!("p{index}"))?;
		self.plug_into_public(&namespace, "eth0", address)?;
		Ok(Host { namespace, address })
	}

	/// Link this machine's own namespace to the public segment, as the host
	/// [`UPLINK_ADDRESS`]: processes started the usual way (nodes, verifiers) are then reached
	/// from the testbed's hosts at that address, as a public node would be. The link goes with
	/// the testbed.
	pub fn uplink(&mut self) -> Result<Ipv4Addr, Unavailable> {
		let address: Ipv4Addr = format!("{PUBLIC_NET}.{UPLINK_HOST}").parse().expect("valid");
		let public = &self.namespaces[0];
		let link = format!("{}-up", self.prefix);
		run(&["ip", "link", "add", &link, "type", "veth", "peer", "up0", "netns", public])?;
		run(&["ip", "-n", public, "link", "set", "up0", "master", "br0"])?;
		run(&["ip", "-n", public, "link", "set", "up0", "up"])?;
		run(&["ip", "addr", "add", &format!("{address}/24"), "dev", &link])?;
		run(&["ip", "link", "set", &link, "up"])?;
		Ok(address)
	}

	/// A new host behind a NAT of its own of kind `nat`.
	pub fn private_host(&mut self, nat: Nat) -> Result<Host, Unavailable> {
		self.routers += 1;
		let index = self.routers;
		let router = self.namespace(&format!("r{index}"))?;
		let public: Ipv4Addr = format!("{PUBLIC_NET}.{}", 1 + index).parse().expect("valid");
		self.plug_into_public(&router, "wan", public)?;
		let host = self.namespace(&format!("h{index}"))?;
		let gateway = format!("192.168.{index}.1");
		let address: Ipv4Addr = format!("192.168.{index}.2").parse().expect("valid");
		run(&[
			"ip", "-n", &router, "link", "add", "lan", "type", "veth", "peer", "eth0", "netns",
			&host,
		])?;
		run(&["ip", "-n", &router, "addr", "add", &format!("{gateway}/24"), "dev", "lan"])?;
		run(&["ip", "-n", &router, "link", "set", "lan", "up"])?;
		run(&["ip", "-n", &host, "addr", "add", &format!("{address}/24"), "dev", "eth0"])?;
		run(&["ip", "-n", &host, "link", "set", "eth0", "up"])?;
		run(&["ip", "-n", &host, "route", "add", "default", "via", &gateway])?;
		run(&["ip", "netns", "exec", &router, "sysctl", "-qw", "net.ipv4.ip_forward=1"])?;
		let masquerade = match nat {
			Nat::EndpointIndependent => "masquerade",
			Nat::Symmetric => "masquerade fully-random",
		};
		let rules = format!(
			"table ip nat {{
				chain post {{
					type nat hook postrouting priority 100
					oifname \"wan\" {masquerade}
				}}
			}}
			table ip filter {{
				chain input {{
					type filter hook input priority 0; policy accept
					iifname \"wan\" ct state new drop
				}}
				chain forward {{
					type filter hook forward priority 0; policy drop
					ct state established,related accept
					iifname \"lan\" oifname \"wan\" accept
				}}
			}}"
		);
		nft(&router, &rules)?;
		Ok(Host { namespace: host, address })
	}

	/// A namespace named after this testbed, with its loopback up.
	fn namespace(&mut self, name: &str) -> Result<String, Unavailable> {
		let namespace = format!("{}-{name}", self.prefix);
		run(&["ip", "netns", "add", &namespace])?;
		self.namespaces.push(namespace.clone());
		run(&["ip", "-n", &namespace, "link", "set", "lo", "up"])?;
		Ok(namespace)
	}

	/// Link `namespace` to the public bridge through its interface `name` with `address`.
	fn plug_into_public(
		&self,
		namespace: &str,
		name: &str,
		address: Ipv4Addr,
	) -> Result<(), Unavailable> {
		let public = &self.namespaces[0];
		let port = format!("v{}", address.octets()[3]);
		run(&[
			"ip", "-n", public, "link", "add", &port, "type", "veth", "peer", name, "netns",
			namespace,
		])?;
		run(&["ip", "-n", public, "link", "set", &port, "master", "br0"])?;
		run(&["ip", "-n", public, "link", "set", &port, "up"])?;
		run(&["ip", "-n", namespace, "addr", "add", &format!("{address}/24"), "dev", name])?;
		run(&["ip", "-n", namespace, "link", "set", name, "up"])?;
		Ok(())
	}
}

impl Drop for Testbed {
	fn drop(&mut self) {
		for namespace in self.namespaces.iter().rev() {
			if let Err(e) = run(&["ip", "netns", "del", namespace]) {
				eprintln!("cannot delete network namespace {namespace}: {e}");
			}
		}
	}
}

/// Delete the namespaces of testbeds whose process is gone: a test process that was killed
/// never dropped its [`Testbed`], and its uplink would hold this machine's address on the
/// public segment, which every later testbed's uplink then collides with. A namespace is
/// stale when the pid in its prefix (`cn<pid>x<n>-…`) is no longer a process running this
/// same test binary (the pid may have been reused by another program since).
fn delete_stale_namespaces() {
	let Ok(output) = Command::new("ip").args(["netns", "list"]).output() else { return };
	let name_of = |exe: std::path::PathBuf| exe.file_name().map(std::ffi::OsStr::to_owned);
	let this_binary = std::env::current_exe().ok().and_then(name_of);
	let running_this_binary = |pid: &str| {
		std::fs::read_link(format!("/proc/{pid}/exe")).ok().and_then(name_of) == this_binary
	};
	for line in String::from_utf8_lossy(&output.stdout).lines() {
		// `ip netns list` prints "<name>" or "<name> (id: <n>)".
		let Some(name) = line.split_whitespace().next() else { continue };
		let Some(pid) = name.strip_prefix("cn").and_then(|rest| rest.split('x').next()) else {
			continue;
		};
		if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) || running_this_binary(pid) {
			continue;
		}
		match run(&["ip", "netns", "del", name]) {
			Ok(()) => eprintln!("deleted network namespace {name}, left by a killed test"),
			Err(e) => eprintln!("cannot delete stale network namespace {name}: {e}"),
		}
	}
}

/// This process's user id, from `/proc/self/status`.
fn uid() -> u32 {
	std::fs::read_to_string("/proc/self/status")
		.ok()
		.and_then(|status| {
			let line = status.lines().find(|l| l.starts_with("Uid:"))?;
			line.split_whitespace().nth(1)?.parse().ok()
		})
		.unwrap_or(u32::MAX)
}

/// Run a command to completion; its stderr is the error if it fails.
fn run(args: &[&str]) -> Result<(), Unavailable> {
	let output = Command::new(args[0])
		.args(&args[1..])
		.output()
		.map_err(|e| Unavailable::Failed { command: args.join(" "), stderr: e.to_string() })?;
	if !output.status.success() {
		return Err(Unavailable::Failed {
			command: args.join(" "),
			stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
		});
	}
	Ok(())
}

/// Load nftables `rules` into `namespace`.
fn nft(namespace: &str, rules: &str) -> Result<(), Unavailable> {
	use std::io::Write;
	let mut child = Command::new("ip")
		.args(["netns", "exec", namespace, "nft", "-f", "-"])
		.stdin(std::process::Stdio::piped())
		.stderr(std::process::Stdio::piped())
		.spawn()
		.map_err(|e| Unavailable::Failed { command: "nft -f -".into(), stderr: e.to_string() })?;
	child
		.stdin
		.take()
		.expect("piped")
		.write_all(rules.as_bytes())
		.map_err(|e| Unavailable::Failed { command: "nft -f -".into(), stderr: e.to_string() })?;
	let output = child
		.wait_with_output()
		.map_err(|e| Unavailable::Failed { command: "nft -f -".into(), stderr: e.to_string() })?;
	if !output.status.success() {
		return Err(Unavailable::Failed {
			command: format!("nft -f - <<< {rules}"),
			stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
		});
	}
	Ok(())
}
