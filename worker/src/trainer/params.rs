//! A model's parameters: candle variables by name, in name order, convertible to and from the
//! canonical [`Delta`] form that checkpoints and deltas travel in.

use crate::delta::{Delta, Tensor as Named};
use crate::trainer::{
	models::{Fill, Parameter},
	SeededRng,
};
use candle_core::{Device, Result, Tensor, Var};
use std::collections::BTreeMap;

/// Named trainable variables.
pub struct Params {
	vars: BTreeMap<String, Var>,
}

impl Params {
	/// Load `checkpoint` onto `device`.
	pub fn from_checkpoint(checkpoint: &Delta, device: &Device) -> Result<Self> {
		let vars = checkpoint
			.tensors()
			.iter()
			.map(|t| {
				let tensor = Tensor::from_vec(t.data.clone(), t.dims.as_slice(), device)?;
				Ok((t.name.clone(), Var::from_tensor(&tensor)?))
			})
			.collect::<Result<_>>()?;
		Ok(Self { vars })
	}

	/// The parameters as a checkpoint.
	pub fn to_checkpoint(&self) -> Result<Delta> {
		let tensors = self
			.vars
			.iter()
			.map(|(name, var)| {
				let data = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
				Ok(Named { name: name.clone(), dims: var.dims().to_vec(), data })
			})
			.collect::<Result<Vec<_>>>()?;
		Ok(Delta::new(tensors).expect("variable names are unique and shapes match"))
	}

	/// The variable `name`. The models ask only for names their own parameter list declares
	/// (one walk both lists and binds them), so this panics only on a checkpoint that does not
	/// fit the model, which training and inference check first (`ModelConfig::fits`).
	pub fn get(&self, name: &str) -> &Tensor {
		self.vars.get(name).unwrap_or_else(|| panic!("no parameter `{name}`")).as_tensor()
	}

	/// Every variable, in name order, for the optimizer.
	pub fn vars(&self) -> Vec<Var> {
		self.vars.values().cloned().collect()
	}

	/// Every variable with its name.
	pub fn named(&self) -> impl Iterator<Item = (&String, &Var)> {
		self.vars.iter()
	}
}

/// The checkpoint of `parameters` initialized from `seed`, drawing in the listed order.
pub fn init(parameters: &[Parameter], seed: &[u8]) -> Delta {
	let mut rng = SeededRng::new(seed);
	let tensors = parameters
		.iter()
		.map(|p| {
			let len = p.dims.iter().product();
			let data = match p.fill {
				Fill::Normal(std) => (0..len).map(|_| rng.normal() * std).collect(),
				Fill::Constant(value) => vec![value; len],
			};
			Named { name: p.name.clone(), dims: p.dims.clone(), data }
		})
		.collect();
	Delta::new(tensors).expect("the models name every parameter once")
}
