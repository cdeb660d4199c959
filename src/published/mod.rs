//! published: the records the service publishes on the public transparency page beyond the
//! counts — its own documents (service FR policy, training course outline, contracts and
//! manuals; versioned, withdrawable), each participating agency's FR policy on file, the terms
//! of use, and the model card of the face models in use.

pub mod agency_policies;
pub mod documents;
pub mod model_card;
