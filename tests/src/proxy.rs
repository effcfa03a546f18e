//! A TCP proxy on loopback whose open connections can be frozen: their bytes stop flowing
//! both ways while the sockets stay open, as over a link that died without a reset or a
//! server that stopped answering. Connections opened after a freeze flow normally.

use crate::{Error, Result};
use std::sync::{
	atomic::{AtomicBool, Ordering},
	Arc, Mutex,
};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::{TcpListener, TcpStream},
	task::JoinSet,
};

/// The proxy; dropping it closes every connection.
pub struct FreezingProxy {
	port: u16,
	/// One flag per connection accepted so far: set, its bytes stop.
	frozen: Arc<Mutex<Vec<Arc<AtomicBool>>>>,
	tasks: Arc<Mutex<JoinSet<()>>>,
}

impl FreezingProxy {
	/// Listen on a free loopback port and forward every connection to `127.0.0.1:to`.
	pub async fn start(to: u16) -> Result<Self> {
		let listener = TcpListener::bind("127.0.0.1:0")
			.await
			.map_err(|source| Error::Io { context: "binding the proxy".into(), source })?;
		let port = listener
			.local_addr()
			.map_err(|source| Error::Io { context: "reading the proxy's port".into(), source })?
			.port();
		let frozen = Arc::new(Mutex::new(Vec::new()));
		let tasks = Arc::new(Mutex::new(JoinSet::new()));
		let accepting = {
			let (frozen, tasks) = (frozen.clone(), tasks.clone());
			async move {
				while let Ok((client, _)) = listener.accept().await {
					let Ok(server) = TcpStream::connect(("127.0.0.1", to)).await else { continue };
					let flag = Arc::new(AtomicBool::new(false));
					frozen.lock().expect("not poisoned").push(flag.clone());
					let (client_read, client_write) = client.into_split();
					let (server_read, server_write) = server.into_split();
					let mut tasks = tasks.lock().expect("not poisoned");
					tasks.spawn(forward(client_read, server_write, flag.clone()));
					tasks.spawn(forward(server_read, client_write, flag));
				}
			}
		};
		tasks.lock().expect("not poisoned").spawn(accepting);
		Ok(Self { port, frozen, tasks })
	}

	/// The port clients connect to.
	pub fn port(&self) -> u16 {
		self.port
	}

	/// Stop the bytes of every connection open now, for good.
	pub fn freeze_open_connections(&self) {
		for flag in self.frozen.lock().expect("not poisoned").iter() {
			flag.store(true, Ordering::SeqCst);
		}
	}
}

impl Drop for FreezingProxy {
	fn drop(&mut self) {
		self.tasks.lock().expect("not poisoned").abort_all();
	}
}

/// Copy `from` to `to` until either closes or `frozen` is set; a frozen connection holds
/// both sockets open and forwards nothing more.
async fn forward(
	mut from: tokio::net::tcp::OwnedReadHalf,
	mut to: tokio::net::tcp::OwnedWriteHalf,
	frozen: Arc<AtomicBool>,
) {
	let mut buffer = vec![0u8; 64 * 1024];
	loop {
		let read = match from.read(&mut buffer).await {
			Ok(0) | Err(_) => return,
			Ok(read) => read,
		};
		if frozen.load(Ordering::SeqCst) {
			// Keep the sockets, so that neither end sees the connection close.
			std::future::pending::<()>().await;
		}
		if to.write_all(&buffer[..read]).await.is_err() {
			return;
		}
	}
}
