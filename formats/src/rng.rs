//! The project's own seeded generator (candle's CPU RNG cannot be seeded): xoshiro256**
//! seeded through blake3, so the same seed gives the same numbers on every machine. The
//! batches a shard trains on and a model's initial weights are drawn with it, so its numbers
//! are part of what replicas must agree on; it lives here, built optimized in every profile,
//! because drawing a synthetic batch is a hundred thousand normals.

/// A deterministic random stream.
pub struct SeededRng {
	state: [u64; 4],
}

impl SeededRng {
	/// A stream for `seed`; different seeds give unrelated streams.
	pub fn new(seed: &[u8]) -> Self {
		let bytes =
			*blake3::Hasher::new_derive_key("cohort rng v1").update(seed).finalize().as_bytes();
		let word =
			|i: usize| u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes"));
		let mut state = [word(0), word(1), word(2), word(3)];
		if state == [0; 4] {
			state[0] = 1; // xoshiro's one bad state; blake3 will not give it, but be total.
		}
		Self { state }
	}

	/// The stream for one shard of one round of one bounty.
	pub fn for_shard(purpose: &str, bounty: u64, round: u32, shard: u32) -> Self {
		let mut seed = purpose.as_bytes().to_vec();
		seed.extend(bounty.to_le_bytes());
		seed.extend(round.to_le_bytes());
		seed.extend(shard.to_le_bytes());
		Self::new(&seed)
	}

	/// The next 64 random bits.
	pub fn next_u64(&mut self) -> u64 {
		let s = &mut self.state;
		let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
		let t = s[1] << 17;
		s[2] ^= s[0];
		s[3] ^= s[1];
		s[1] ^= s[2];
		s[0] ^= s[3];
		s[2] ^= t;
		s[3] = s[3].rotate_left(45);
		result
	}

	/// Uniform in `[0, 1)`, 24 bits of precision.
	pub fn uniform(&mut self) -> f32 {
		(self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
	}

	/// Uniform in `0..n` (`n > 0`).
	pub fn below(&mut self, n: usize) -> usize {
		(self.next_u64() % n as u64) as usize
	}

	/// Standard normal (Box-Muller, computed in f64 so every platform rounds alike).
	pub fn normal(&mut self) -> f32 {
		let u1 = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
		let u2 = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
		((-2.0 * (1.0 - u1).ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn streams_are_reproducible_and_distinct() {
		let take = |rng: &mut SeededRng| (0..4).map(|_| rng.next_u64()).collect::<Vec<_>>();
		let a = take(&mut SeededRng::for_shard("data", 1, 2, 3));
		assert_eq!(a, take(&mut SeededRng::for_shard("data", 1, 2, 3)));
		assert_ne!(a, take(&mut SeededRng::for_shard("data", 1, 2, 4)));
		assert_ne!(a, take(&mut SeededRng::for_shard("init", 1, 2, 3)));
	}

	#[test]
	fn normals_have_the_right_moments() {
		let mut rng = SeededRng::new(b"moments");
		let xs: Vec<f64> = (0..20_000).map(|_| f64::from(rng.normal())).collect();
		let mean = xs.iter().sum::<f64>() / xs.len() as f64;
		let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
		assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "mean {mean} var {var}");
	}
}
