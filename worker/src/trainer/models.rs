//! The two reference models, written with candle's differentiable ops only: the fused
//! `candle_nn::ops::layer_norm` and `softmax_last_dim` have no backward pass, so layer norm is
//! composed here from ops that have one, and attention takes `candle_nn::ops::softmax`, which
//! candle composes from such ops itself (a test checks every parameter gets a gradient).
//!
//! Each model's parameters are named in one place: a `declare` function that walks the model
//! in drawing order and hands every parameter (name, shape, fill) to a `Declare`. Walked with
//! a list, it gives the parameter list initial checkpoints are drawn from and checked against;
//! walked with a `Bind`, it gives the same parameters as typed weights (`Linear`, `LayerNorm`,
//! `Block`) that the forward pass reads. So a lookup cannot ask for a name the list lacks.

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
		let mut list: Vec<Parameter> = Vec::new();
		match self {
			ModelConfig::Mlp(c) => {
				MlpWeights::declare(c, &mut list);
			}
			ModelConfig::CharTransformer(c) => {
				TransformerWeights::declare(c, &mut list);
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
		let mut bind = Bind(params);
		match self {
			ModelConfig::Mlp(c) => MlpWeights::declare(c, &mut bind).forward(inputs),
			ModelConfig::CharTransformer(c) => {
				TransformerWeights::declare(c, &mut bind).forward(c, inputs)
			}
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

/// What a model's `declare` walk does with each parameter it meets, in drawing order.
trait Declare {
	/// What a declared parameter becomes in the model's weights.
	type Slot;

	/// Parameter `name`, of shape `dims`, drawn as `fill`.
	fn param(&mut self, name: String, dims: &[usize], fill: Fill) -> Self::Slot;
}

/// Listing: each parameter is written down; the weights hold nothing.
impl Declare for Vec<Parameter> {
	type Slot = ();

	fn param(&mut self, name: String, dims: &[usize], fill: Fill) {
		self.push(Parameter { name, dims: dims.to_vec(), fill });
	}
}

/// Binding: each parameter is looked up among a model's variables. The shapes were checked
/// when the checkpoint was (`ModelConfig::fits`), and the fills only matter for drawing.
struct Bind<'p>(&'p Params);

impl<'p> Declare for Bind<'p> {
	type Slot = &'p Tensor;

	fn param(&mut self, name: String, _dims: &[usize], _fill: Fill) -> &'p Tensor {
		let params: &'p Params = self.0;
		params.get(&name)
	}
}

/// A linear layer, `x · Wᵀ (+ b)`.
struct Linear<T> {
	weight: T,
	bias: Option<T>,
}

impl Linear<&Tensor> {
	/// `x · Wᵀ (+ b)` over the last dimension of `x`, for any leading dimensions.
	fn forward(&self, x: &Tensor) -> Result<Tensor> {
		let y = x.broadcast_matmul(&self.weight.t()?)?;
		match self.bias {
			Some(b) => y.broadcast_add(b),
			None => Ok(y),
		}
	}
}

/// A layer norm's gain and bias, `{prefix}.gain` and `{prefix}.bias`.
struct LayerNorm<T> {
	gain: T,
	bias: T,
}

impl<T> LayerNorm<T> {
	/// Declare a layer norm of `width` features, gain 1 and bias 0.
	fn declare<P: Declare<Slot = T>>(prefix: &str, width: usize, declare: &mut P) -> Self {
		let gain = declare.param(format!("{prefix}.gain"), &[width], Fill::Constant(1.0));
		let bias = declare.param(format!("{prefix}.bias"), &[width], Fill::Constant(0.0));
		LayerNorm { gain, bias }
	}
}

impl LayerNorm<&Tensor> {
	/// `x` normalized over its last dimension, scaled by the gain and shifted by the bias.
	fn forward(&self, x: &Tensor) -> Result<Tensor> {
		layer_norm(x, self.gain, self.bias)
	}
}

/// The MLP's weights: layer `i` is `layer{i}.weight` and `layer{i}.bias`, input side first.
struct MlpWeights<T> {
	layers: Vec<Linear<T>>,
}

impl<T> MlpWeights<T> {
	/// Declare the MLP's parameters, layer by layer, each weight before its bias.
	fn declare<P: Declare<Slot = T>>(c: &MlpConfig, declare: &mut P) -> Self {
		let widths: Vec<usize> =
			std::iter::once(c.input).chain(c.hidden.iter().copied()).chain([c.classes]).collect();
		let mut layers = Vec::new();
		for (i, pair) in widths.windows(2).enumerate() {
			// He initialization for ReLU layers.
			let he = Fill::Normal((2.0 / pair[0] as f32).sqrt());
			let weight = declare.param(format!("layer{i}.weight"), &[pair[1], pair[0]], he);
			let bias = declare.param(format!("layer{i}.bias"), &[pair[1]], Fill::Constant(0.0));
			layers.push(Linear { weight, bias: Some(bias) });
		}
		MlpWeights { layers }
	}
}

impl MlpWeights<&Tensor> {
	/// The logits of features `x`, ReLU between layers.
	fn forward(&self, x: &Tensor) -> Result<Tensor> {
		let mut h = x.clone();
		for (i, layer) in self.layers.iter().enumerate() {
			h = layer.forward(&h)?;
			if i + 1 < self.layers.len() {
				h = h.relu()?;
			}
		}
		Ok(h)
	}
}

/// One pre-norm transformer block, `block{l}`.
struct Block<T> {
	/// `ln1`, before attention.
	ln1: LayerNorm<T>,
	/// `attn.qkv`: the query, key and value projections stacked, `[3 · d, d]`, no bias.
	qkv: Linear<T>,
	/// `attn.out`, no bias.
	out: Linear<T>,
	/// `ln2`, before the MLP.
	ln2: LayerNorm<T>,
	/// `mlp.up` and `mlp.up_bias`.
	up: Linear<T>,
	/// `mlp.down` and `mlp.down_bias`.
	down: Linear<T>,
}

/// The character transformer's weights.
struct TransformerWeights<T> {
	/// `embed.token`, `[VOCAB, d]`.
	token: T,
	/// `embed.position`, `[context, d]`.
	position: T,
	/// The blocks, `block0` first.
	blocks: Vec<Block<T>>,
	/// `final_ln`.
	final_ln: LayerNorm<T>,
	/// `head`, `[VOCAB, d]`, no bias.
	head: Linear<T>,
}

impl<T> TransformerWeights<T> {
	/// Declare the transformer's parameters: the embeddings, each block in order, the final
	/// layer norm and the head.
	fn declare<P: Declare<Slot = T>>(c: &CharConfig, declare: &mut P) -> Self {
		let d = c.d_model;
		let small = Fill::Normal(0.02);
		// Residual projections shrink with depth (GPT-2).
		let residual = Fill::Normal(0.02 / (2.0 * c.layers as f32).sqrt());
		let zero = Fill::Constant(0.0);
		let token = declare.param("embed.token".into(), &[VOCAB, d], small);
		let position = declare.param("embed.position".into(), &[c.context, d], small);
		let mut blocks = Vec::with_capacity(c.layers);
		for l in 0..c.layers {
			let p = format!("block{l}");
			// Drawing order: the order of these statements.
			let ln1 = LayerNorm::declare(&format!("{p}.ln1"), d, declare);
			let qkv = declare.param(format!("{p}.attn.qkv"), &[3 * d, d], small);
			let out = declare.param(format!("{p}.attn.out"), &[d, d], residual);
			let ln2 = LayerNorm::declare(&format!("{p}.ln2"), d, declare);
			let up = declare.param(format!("{p}.mlp.up"), &[4 * d, d], small);
			let up_bias = declare.param(format!("{p}.mlp.up_bias"), &[4 * d], zero);
			let down = declare.param(format!("{p}.mlp.down"), &[d, 4 * d], residual);
			let down_bias = declare.param(format!("{p}.mlp.down_bias"), &[d], zero);
			blocks.push(Block {
				ln1,
				qkv: Linear { weight: qkv, bias: None },
				out: Linear { weight: out, bias: None },
				ln2,
				up: Linear { weight: up, bias: Some(up_bias) },
				down: Linear { weight: down, bias: Some(down_bias) },
			});
		}
		let final_ln = LayerNorm::declare("final_ln", d, declare);
		let head = declare.param("head".into(), &[VOCAB, d], small);
		TransformerWeights {
			token,
			position,
			blocks,
			final_ln,
			head: Linear { weight: head, bias: None },
		}
	}
}

impl TransformerWeights<&Tensor> {
	/// The next-byte logits of `tokens` (u32 `[batch, len]`, `len` at most `c.context`).
	fn forward(&self, c: &CharConfig, tokens: &Tensor) -> Result<Tensor> {
		let (batch, len) = tokens.dims2()?;
		let d = c.d_model;
		let head_dim = d / c.heads;
		let token = self.token.index_select(&tokens.flatten_all()?, 0)?.reshape((batch, len, d))?;
		let position = self.position.narrow(0, 0, len)?;
		let mut x = token.broadcast_add(&position)?;
		let mask = causal_mask(len, tokens.device())?;
		let scale = 1.0 / (head_dim as f64).sqrt();
		for block in &self.blocks {
			let h = block.ln1.forward(&x)?;
			let qkv = block.qkv.forward(&h)?.reshape((batch, len, 3, c.heads, head_dim))?;
			let part = |i: usize| qkv.narrow(2, i, 1)?.squeeze(2)?.transpose(1, 2)?.contiguous();
			let (q, k, v) = (part(0)?, part(1)?, part(2)?);
			let scores = (q.matmul(&k.t()?.contiguous()?)? * scale)?.broadcast_add(&mask)?;
			let attn = candle_nn::ops::softmax(&scores, D::Minus1)?;
			let mixed = attn.matmul(&v)?.transpose(1, 2)?.reshape((batch, len, d))?;
			x = (x + block.out.forward(&mixed)?)?;
			let h = block.ln2.forward(&x)?;
			let up = block.up.forward(&h)?.gelu_erf()?;
			x = (x + block.down.forward(&up)?)?;
		}
		let x = self.final_ln.forward(&x)?;
		self.head.forward(&x)
	}
}

/// Layer norm over the last dimension, from differentiable primitives.
fn layer_norm(x: &Tensor, gain: &Tensor, bias: &Tensor) -> Result<Tensor> {
	let mean = x.mean_keepdim(D::Minus1)?;
	let centered = x.broadcast_sub(&mean)?;
	let var = centered.sqr()?.mean_keepdim(D::Minus1)?;
	let normed = centered.broadcast_div(&(var + 1e-5)?.sqrt()?)?;
	normed.broadcast_mul(gain)?.broadcast_add(bias)
}

/// 0 where a position may attend, a large negative number above the diagonal.
fn causal_mask(len: usize, device: &Device) -> Result<Tensor> {
	let mask: Vec<f32> =
		(0..len).flat_map(|i| (0..len).map(move |j| if j > i { -1e9 } else { 0.0 })).collect();
	Tensor::from_vec(mask, (len, len), device)?.to_dtype(DType::F32)
}
