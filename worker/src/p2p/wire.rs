//! The blob exchange's wire format: one SCALE-encoded message per stream, behind a 4-byte
//! little-endian length that is checked against a bound before anything is allocated.

use codec::{Decode, DecodeAll, Encode};
use cohort_primitives::H256;
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::{request_response, StreamProtocol};
use std::io;

/// The protocol name peers negotiate.
pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/cohort/blob/2");

/// The largest request: a root fits many times over.
const MAX_REQUEST_BYTES: usize = 1024;

/// What a peer asks for.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum BlobRequest {
	/// The whole blob whose Merkle root is this.
	Blob(H256),
}

/// What a peer answers. Nothing in it is trusted until checked against the asked root.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum BlobResponse {
	/// The blob's bytes.
	Blob(Vec<u8>),
	/// The peer does not hold that blob.
	NotFound,
}

impl BlobResponse {
	/// The bytes of blob it carries.
	pub fn payload_len(&self) -> u64 {
		match self {
			BlobResponse::Blob(bytes) => bytes.len() as u64,
			BlobResponse::NotFound => 0,
		}
	}
}

/// Frames requests and responses; a response may be at most `max_response` bytes.
#[derive(Clone, Debug)]
pub struct BlobCodec {
	max_response: usize,
}

impl BlobCodec {
	/// A codec that refuses responses larger than a blob of `max_blob` bytes.
	pub fn new(max_blob: usize) -> Self {
		// The encoding adds a variant byte and a compact length to the blob itself.
		Self { max_response: max_blob + 16 }
	}
}

async fn read_frame<T, M>(io: &mut T, max: usize) -> io::Result<M>
where
	T: AsyncRead + Unpin + Send,
	M: Decode,
{
	let mut len = [0u8; 4];
	io.read_exact(&mut len).await?;
	let len = u32::from_le_bytes(len) as usize;
	if len > max {
		return Err(io::Error::new(
			io::ErrorKind::InvalidData,
			format!("message of {len} bytes refused: the limit is {max}"),
		));
	}
	let mut bytes = vec![0u8; len];
	io.read_exact(&mut bytes).await?;
	M::decode_all(&mut &bytes[..])
		.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("malformed message: {e}")))
}

async fn write_frame<T, M>(io: &mut T, message: &M, max: usize) -> io::Result<()>
where
	T: AsyncWrite + Unpin + Send,
	M: Encode,
{
	let bytes = message.encode();
	if bytes.len() > max {
		return Err(io::Error::new(
			io::ErrorKind::InvalidInput,
			format!("message of {} bytes not sent: the limit is {max}", bytes.len()),
		));
	}
	io.write_all(&(bytes.len() as u32).to_le_bytes()).await?;
	io.write_all(&bytes).await?;
	io.close().await
}

#[async_trait::async_trait]
impl request_response::Codec for BlobCodec {
	type Protocol = StreamProtocol;
	type Request = BlobRequest;
	type Response = BlobResponse;

	async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<BlobRequest>
	where
		T: AsyncRead + Unpin + Send,
	{
		read_frame(io, MAX_REQUEST_BYTES).await
	}

	async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<BlobResponse>
	where
		T: AsyncRead + Unpin + Send,
	{
		read_frame(io, self.max_response).await
	}

	async fn write_request<T>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
		request: BlobRequest,
	) -> io::Result<()>
	where
		T: AsyncWrite + Unpin + Send,
	{
		write_frame(io, &request, MAX_REQUEST_BYTES).await
	}

	async fn write_response<T>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
		response: BlobResponse,
	) -> io::Result<()>
	where
		T: AsyncWrite + Unpin + Send,
	{
		write_frame(io, &response, self.max_response).await
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use futures::executor::block_on;

	fn framed<M: Encode>(message: &M) -> Vec<u8> {
		let bytes = message.encode();
		[(bytes.len() as u32).to_le_bytes().to_vec(), bytes].concat()
	}

	#[test]
	fn round_trip() {
		let response = BlobResponse::Blob(vec![7; 1000]);
		let read: BlobResponse = block_on(read_frame(&mut &framed(&response)[..], 2000)).unwrap();
		assert_eq!(read, response);
	}

	#[test]
	fn oversized_length_is_refused_before_allocating() {
		// A length prefix of 4 GiB with no body: refused on the prefix alone.
		let error = block_on(read_frame::<_, BlobResponse>(&mut &u32::MAX.to_le_bytes()[..], 1024))
			.unwrap_err();
		assert_eq!(error.kind(), io::ErrorKind::InvalidData);
		assert!(error.to_string().contains("limit is 1024"), "{error}");
	}

	#[test]
	fn trailing_bytes_and_truncation_are_refused() {
		let mut bytes = framed(&BlobRequest::Blob(H256::repeat_byte(1)));
		bytes[0] += 1;
		bytes.push(0);
		let error = block_on(read_frame::<_, BlobRequest>(&mut &bytes[..], 1024)).unwrap_err();
		assert!(error.to_string().contains("malformed"), "{error}");
		let short = framed(&BlobRequest::Blob(H256::repeat_byte(1)));
		let error = block_on(read_frame::<_, BlobRequest>(&mut &short[..short.len() - 1], 1024))
			.unwrap_err();
		assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
	}
}
