//! The two reference models, written with candle's differentiable primitives only:
//! `candle_nn::ops::layer_norm` and `softmax_last_dim` have no backward pass, so layer norm and
//! softmax are composed here from ops that do (a test checks every parameter gets a gradient).

use crate::delta::Delta;
use crate::trainer::params::{self, Params};
use candle_core::{DType, Device, Result, Tensor, D};
use serde::{Deserialize, Serialize};

/// A multi-layer perceptron classifier: `input → hidden… → classes`, ReLU between layers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MlpConfig {
	/// Input features.
	pub input: usize,
	/// Hidden layer widths.
	pub hidden: Vec<usize>,
	/// Output classes.
	pub classes: usize,
}

/// A character-level (byte-level: 256 tokens) transformer with pre-norm blocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CharConfig {
	/// Tokens of context.
	pub context: usize,
	/// Embedding width.
	pub d_model: usize,
	/// Transformer blocks.
	pub layers: usize,
	/// Attention heads (dividing `d_model`).
	pub heads: usize,
}

/// The byte vocabulary of the character model.
pub const VOCAB: usize = 256;

/// A model's configuration, as a bounty's `model.config` bytes carry it (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "model")]
pub enum ModelConfig {
	/// The MLP.
	Mlp(MlpConfig),
	/// The character transformer.
	CharTransformer(CharConfig),
}

/// How a parameter starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fill {
	/// Drawn from N(0, std²) with the seeded generator.
	Normal(f32),
	/// Every value the same.
	Constant(f32),
}

/// One parameter of a model configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
	/// Its name in checkpoints and deltas.
	pub name: String,
	/// Its shape.
	pub dims: Vec<usize>,
	/// How it starts.
	pub fill: Fill,
}

impl ModelConfig {
	/// Every parameter: its name, shape and how it is initialized, in drawing order.
	pub fn parameters(&self) -> Vec<Parameter> {
		let mut list = Vec::new();
		let mut add = |name: String, dims: &[usize], fill: Fill| {
			list.push(Parameter { name, dims: dims.to_vec(), fill })
		};
		match self {
			ModelConfig::Mlp(c) => {
				let widths: Vec<usize> = std::iter::once(c.input)
					.chain(c.hidden.iter().copied())
					.chain([c.classes])
					.collect();
				for (i, pair) in widths.windows(2).enumerate() {
					// He initialization for ReLU layers.
					let he = Fill::Normal((2.0 / pair[0] as f32).sqrt());
					add(format!("layer{i}.weight"), &[pair[1], pair[0]], he);
					add(format!("layer{i}.bias"), &[pair[1]], Fill::Constant(0.0));
				}
			}
			ModelConfig::CharTransformer(c) => {
				let d = c.d_model;
				let small = Fill::Normal(0.02);
				// Residual projections shrink with depth (GPT-2).
				let residual = Fill::Normal(0.02 / (2.0 * c.layers as f32).sqrt());
				add("embed.token".into(), &[VOCAB, d], small);
				add("embed.position".into(), &[c.context, d], small);
				for l in 0..c.layers {
					let p = format!("block{l}");
					add(format!("{p}.ln1.gain"), &[d], Fill::Constant(1.0));
					add(format!("{p}.ln1.bias"), &[d], Fill::Constant(0.0));
					add(format!("{p}.attn.qkv"), &[3 * d, d], small);
					add(format!("{p}.attn.out"), &[d, d], residual);
					add(format!("{p}.ln2.gain"), &[d], Fill::Constant(1.0));
					add(format!("{p}.ln2.bias"), &[d], Fill::Constant(0.0));
					add(format!("{p}.mlp.up"), &[4 * d, d], small);
					add(format!("{p}.mlp.up_bias"), &[4 * d], Fill::Constant(0.0));
					add(format!("{p}.mlp.down"), &[d, 4 * d], residual);
					add(format!("{p}.mlp.down_bias"), &[d], Fill::Constant(0.0));
				}
				add("final_ln.gain".into(), &[d], Fill::Constant(1.0));
				add("final_ln.bias".into(), &[d], Fill::Constant(0.0));
				add("head".into(), &[VOCAB, d], small);
			}
		}
		list
	}

	/// The initial checkpoint `H_0` for this configuration, drawn from `seed`.
	pub fn init(&self, seed: &[u8]) -> Delta {
		params::init(&self.parameters(), seed)
	}

	/// Whether `checkpoint` has exactly this configuration's parameters and shapes.
	pub fn fits(&self, checkpoint: &Delta) -> bool {
		let mut expected: Vec<(String, Vec<usize>)> =
			self.parameters().into_iter().map(|p| (p.name, p.dims)).collect();
		expected.sort();
		expected.len() == checkpoint.tensors().len()
			&& expected
				.iter()
				.zip(checkpoint.tensors())
				.all(|((name, dims), t)| *name == t.name && *dims == t.dims)
	}

	/// The bytes of text one example reads (0 for the MLP, whose examples are not text).
	pub fn context(&self) -> usize {
		match self {
			ModelConfig::CharTransformer(c) => c.context,
			ModelConfig::Mlp(_) => 0,
		}
	}

	/// The model's output before the softmax: `[batch, classes]` for the MLP, `[batch,
	/// context, VOCAB]` (one next-byte distribution per position) for the char transformer.
	pub fn logits(&self, params: &Params, inputs: &Tensor) -> Result<Tensor> {
		match self {
			ModelConfig::Mlp(c) => mlp(params, c, inputs),
			ModelConfig::CharTransformer(c) => transformer(params, c, inputs),
		}
	}

	/// The mean cross-entropy of `params` on a batch: `inputs` are features (MLP, f32
	/// `[batch, input]`) or tokens (u32 `[batch, context]`); `targets` are classes (u32
	/// `[batch]`) or next tokens (u32 `[batch, context]`).
	pub fn loss(&self, params: &Params, inputs: &Tensor, targets: &Tensor) -> Result<Tensor> {
		let logits = self.logits(params, inputs)?;
		let classes = logits.dim(D::Minus1)?;
		candle_nn::loss::cross_entropy(&logits.reshape(((), classes))?, &targets.flatten_all()?)
	}
}

/// `x · Wᵀ (+ b)` over the last dimension of `x`, for any leading dimensions.
fn linear(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
	let y = x.broadcast_matmul(&weight.t()?)?;
	match bias {
		Some(b) => y.broadcast_add(b),
		None => Ok(y),
	}
}

fn mlp(params: &Params, config: &MlpConfig, x: &Tensor) -> Result<Tensor> {
	let layers = config.hidden.len() + 1;
	let mut h = x.clone();
	for i in 0..layers {
		h = linear(
			&h,
			params.get(&format!("layer{i}.weight")),
			Some(params.get(&format!("layer{i}.bias"))),
		)?;
		if i + 1 < layers {
			h = h.relu()?;
		}
	}
	Ok(h)
}

/// Layer norm over the last dimension, from differentiable primitives.
fn layer_norm(x: &Tensor, gain: &Tensor, bias: &Tensor) -> Result<Tensor> {
	let mean = x.mean_keepdim(D::Minus1)?;
	let centered = x.broadcast_sub(&mean)?;
	let var = centered.sqr()?.mean_keepdim(D::Minus1)?;
	let normed = centered.broadcast_div(&(var + 1e-5)?.sqrt()?)?;
	normed.broadcast_mul(gain)?.broadcast_add(bias)
}

fn transformer(params: &Params, c: &CharConfig, tokens: &Tensor) -> Result<Tensor> {
	let (batch, len) = tokens.dims2()?;
	let d = c.d_model;
	let head_dim = d / c.heads;
	let token = params
		.get("embed.token")
		.index_select(&tokens.flatten_all()?, 0)?
		.reshape((batch, len, d))?;
	let position = params.get("embed.position").narrow(0, 0, len)?;
	let mut x = token.broadcast_add(&position)?;
	let mask = causal_mask(len, tokens.device())?;
	let scale = 1.0 / (head_dim as f64).sqrt();
	for l in 0..c.layers {
		let p = |name: &str| params.get(&format!("block{l}.{name}"));
		let h = layer_norm(&x, p("ln1.gain"), p("ln1.bias"))?;
		let qkv = linear(&h, p("attn.qkv"), None)?.reshape((batch, len, 3, c.heads, head_dim))?;
		let part = |i: usize| qkv.narrow(2, i, 1)?.squeeze(2)?.transpose(1, 2)?.contiguous();
		let (q, k, v) = (part(0)?, part(1)?, part(2)?);
		let scores = (q.matmul(&k.t()?.contiguous()?)? * scale)?.broadcast_add(&mask)?;
		let attn = candle_nn::ops::softmax(&scores, D::Minus1)?;
		let mixed = attn.matmul(&v)?.transpose(1, 2)?.reshape((batch, len, d))?;
		x = (x + linear(&mixed, p("attn.out"), None)?)?;
		let h = layer_norm(&x, p("ln2.gain"), p("ln2.bias"))?;
		let up = linear(&h, p("mlp.up"), Some(p("mlp.up_bias")))?.gelu_erf()?;
		x = (x + linear(&up, p("mlp.down"), Some(p("mlp.down_bias")))?)?;
	}
	let x = layer_norm(&x, params.get("final_ln.gain"), params.get("final_ln.bias"))?;
	linear(&x, params.get("head"), None)
}

/// 0 where a position may attend, a large negative number above the diagonal.
fn causal_mask(len: usize, device: &Device) -> Result<Tensor> {
	let mask: Vec<f32> =
		(0..len).flat_map(|i| (0..len).map(move |j| if j > i { -1e9 } else { 0.0 })).collect();
	Tensor::from_vec(mask, (len, len), device)?.to_dtype(DType::F32)
}
