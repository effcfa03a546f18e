//! Benchmarks for `pallet_workers`; the runtime's weights are generated from them. Each runs in
//! the worst case its call can meet: a class one short of full, the longest peer id and the
//! most, longest addresses.

use super::*;
use alloc::{vec, vec::Vec};
use cohort_primitives::DeviceKind;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Get};
use frame_system::RawOrigin;
use sp_runtime::traits::Saturating;

fn capabilities(class: &[u8]) -> Capabilities {
	Capabilities {
		device: DeviceKind::Cpu,
		memory_mib: 16_384,
		gflops: 100,
		class: DeterminismClass::new(class).expect("well-formed"),
	}
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::Currency::set_balance(&who, T::MinWorkerBond::get().saturating_mul(100u32.into()));
	who
}

fn longest_addresses() -> Vec<Vec<u8>> {
	vec![vec![4; MAX_ADDRESS_LEN as usize]; MAX_ADDRESSES as usize]
}

/// Fill `class` with `count` registered workers.
fn fill_class<T: Config>(class: &[u8], count: u32) {
	for i in 0..count {
		let who = funded::<T>("member", i);
		Pallet::<T>::register_for_benchmark(&who, capabilities(class));
	}
}

fn registered<T: Config>() -> T::AccountId {
	let who = funded::<T>("worker", 0);
	Pallet::<T>::register_for_benchmark(&who, capabilities(b"cpu"));
	who
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register() {
		fill_class::<T>(b"cpu", T::MaxWorkersPerClass::get() - 1);
		let who = funded::<T>("worker", 0);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who.clone()),
			capabilities(b"cpu"),
			vec![1; MAX_PEER_ID_LEN as usize],
			longest_addresses(),
			T::MinWorkerBond::get(),
		);
		assert!(Workers::<T>::contains_key(&who));
	}

	#[benchmark]
	fn update() {
		fill_class::<T>(b"cuda", T::MaxWorkersPerClass::get() - 1);
		let who = registered::<T>();
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who.clone()),
			Some(capabilities(b"cuda")),
			Some(vec![2; MAX_PEER_ID_LEN as usize]),
			Some(longest_addresses()),
		);
		assert_eq!(Workers::<T>::get(&who).unwrap().capabilities, capabilities(b"cuda"));
	}

	#[benchmark]
	fn bond_extra() {
		let who = registered::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), T::MinWorkerBond::get());
		assert_eq!(
			Workers::<T>::get(&who).unwrap().bond,
			T::MinWorkerBond::get().saturating_mul(2u32.into())
		);
	}

	#[benchmark]
	fn unbond() {
		fill_class::<T>(b"cpu", T::MaxWorkersPerClass::get() - 1);
		let who = registered::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(matches!(Workers::<T>::get(&who).unwrap().status, WorkerStatus::Leaving { .. }));
	}

	#[benchmark]
	fn withdraw_unbonded() {
		let who = registered::<T>();
		Pallet::<T>::unbond(RawOrigin::Signed(who.clone()).into()).expect("registered");
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number()
				.saturating_add(T::WorkerBondingDuration::get()),
		);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Workers::<T>::contains_key(&who));
	}

	#[benchmark]
	fn heartbeat() {
		let who = registered::<T>();
		Workers::<T>::mutate(&who, |worker| {
			if let Some(worker) = worker {
				worker.status = WorkerStatus::Inactive;
			}
		});
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_eq!(Workers::<T>::get(&who).unwrap().status, WorkerStatus::Active);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
