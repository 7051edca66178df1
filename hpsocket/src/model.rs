//! Receive models: how received bytes reach the application.

/// Which receive model a component uses (a type parameter of every component).
///
/// Sealed: the models are [`Push`] here; PULL and PACK join them as their own types.
pub trait Model: sealed::Sealed + Send + Sync + 'static {
    #[doc(hidden)]
    const KIND: ModelKind;
}

#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    Push,
}

/// PUSH: every chunk read from the socket is handed to `on_receive` as it arrives.
#[derive(Debug, Clone, Copy, Default)]
pub struct Push;

impl Model for Push {
    const KIND: ModelKind = ModelKind::Push;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Push {}
}
