//! A model's parameters: candle variables by name, in name order, convertible to and from the
//! canonical [`Delta`] form that checkpoints and deltas travel in.

use crate::delta::{Delta, Tensor as Named};
use crate::trainer::rng::SeededRng;
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

	/// The variable `name`; the models only ask for names they created.
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

/// Builds an initial checkpoint from the project's seeded generator.
pub struct Init {
	rng: SeededRng,
	tensors: Vec<Named>,
}

impl Init {
	/// Start an initialization drawn from `seed`.
	pub fn new(seed: &[u8]) -> Self {
		Self { rng: SeededRng::new(seed), tensors: Vec::new() }
	}

	/// A weight of `dims` drawn from N(0, std²).
	pub fn normal(&mut self, name: &str, dims: &[usize], std: f32) {
		let len = dims.iter().product();
		let data = (0..len).map(|_| self.rng.normal() * std).collect();
		self.tensors.push(Named { name: name.into(), dims: dims.to_vec(), data });
	}

	/// A tensor of `dims` filled with `value`.
	pub fn constant(&mut self, name: &str, dims: &[usize], value: f32) {
		let len = dims.iter().product();
		self.tensors.push(Named { name: name.into(), dims: dims.to_vec(), data: vec![value; len] });
	}

	/// The checkpoint.
	pub fn finish(self) -> Delta {
		Delta::new(self.tensors).expect("the models name every parameter once")
	}
}
