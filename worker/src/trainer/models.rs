//! The two reference models, written with differentiable ops: candle's, and the fused ones of
//! [`cohort_kernels`] (layer norm, a bias added to every row, attention's causal softmax, GELU,
//! the cross-entropy), each with its own backward pass on the CPU and composed from candle's
//! ops elsewhere.
//!
//! Each model's parameters are named in one place: a `declare` function that walks the model
//! in drawing order and hands every parameter (name, shape, fill) to a `Declare`. Walked with
//! a list, it gives the parameter list initial checkpoints are drawn from and checked against;
//! walked with a `Bind`, it gives the same parameters as typed weights (`Linear`, `LayerNorm`,
//! `Block`) that the forward pass reads. So a lookup cannot ask for a name the list lacks.

use crate::delta::Delta;
use crate::trainer::params::{self, Params};
use candle_core::{Result, Tensor, D};
use cohort_kernels::{
	attention::causal_attention, bias::add_bias, cross_entropy::cross_entropy, gelu::gelu,
	layer_norm::layer_norm, linear::matmul_t,
};
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
		cross_entropy(&logits.reshape(((), classes))?, &targets.flatten_all()?)
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
	///
	/// The leading dimensions are folded into rows first, so that one matrix product covers
	/// the batch: a product broadcast over the batch runs one small product per example, and
	/// its backward pass materializes a weight gradient per example and then sums them.
	fn forward(&self, x: &Tensor) -> Result<Tensor> {
		let mut dims = x.dims().to_vec();
		let features = dims.pop().expect("a linear layer's input has a feature dimension");
		dims.push(self.weight.dim(0)?);
		let y = matmul_t(&x.reshape(((), features))?, self.weight)?.reshape(dims)?;
		match self.bias {
			Some(b) => add_bias(&y, b),
			None => Ok(y),
		}
	}
}

/// What a layer norm adds to the variance before dividing by its root.
const LAYER_NORM_EPS: f32 = 1e-5;

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
		layer_norm(x, self.gain, self.bias, LAYER_NORM_EPS)
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
		let token = self.token.index_select(&tokens.flatten_all()?, 0)?.reshape((batch, len, d))?;
		let position = self.position.narrow(0, 0, len)?;
		let mut x = token.broadcast_add(&position)?;
		for block in &self.blocks {
			let h = block.ln1.forward(&x)?;
			let mixed = causal_attention(&block.qkv.forward(&h)?, c.heads)?;
			x = (x + block.out.forward(&mixed)?)?;
			let h = block.ln2.forward(&x)?;
			let up = gelu(&block.up.forward(&h)?)?;
			x = (x + block.down.forward(&up)?)?;
		}
		let x = self.final_ln.forward(&x)?;
		self.head.forward(&x)
	}
}
