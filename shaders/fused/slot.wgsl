// Where an item's activations live in `scratch` and how the invocations share the work.
//   cooperative:     slot = workgroup; slot-major (slot_add = slot * slot4, slot_mul = 1);
//                    lanes = workgroup size, each op split over the invocations.
//   per-invocation:  slot = invocation; interleaved (index * slots + slot) so that neighbouring
//                    invocations, which run as SIMD lanes on CPU drivers, touch neighbouring
//                    memory; lanes = 1, each invocation does every op of its item alone.
var<private> slot_mul: u32;
var<private> slot_add: u32;
var<private> lanes: u32;
// The item's pose in the dispatch: its row of per-pose context (FiLM).
var<private> film_pose: u32;

fn slot_index(i: u32) -> u32 {
  return i * slot_mul + slot_add;
}

fn use_cooperative_slot(group: u32, group_size: u32) {
  slot_mul = 1u;
  slot_add = group * params.slot4;
  lanes = group_size;
}

fn use_invocation_slot(slot: u32, slots: u32) {
  slot_mul = slots;
  slot_add = slot;
  lanes = 1u;
}

