//! Differential tests against tungstenite (next commit).
